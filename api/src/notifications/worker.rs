//! The outbox worker: delivers due rows, exactly once as far as it is up to us.
//!
//! A run claims due rows with a short lease (see [`super::lease`]), renews that lease while it
//! holds them, sends each message outside any transaction and records the results:
//!
//! * sent: `sent`, `sent_at`, the manage token removed from the stored payload;
//! * a transient failure (server down, 4xx, network): due again after an exponential
//!   backoff (30 s, 1 min, 2 min… at most 1 h), until [`Policy::max_attempts`];
//! * a permanent failure (5xx to the message, an unusable address) or the last attempt:
//!   `failed` with the error, listed for staff who may retry it;
//! * past its `expires_at` (a reminder for a booking that has started): `expired`, never sent.
//! * an SMS that would pass its organisation's monthly budget of segments: `over_budget`,
//!   never sent (see [`super::sms::budget`]).
//!
//! # Throughput and what a crash costs
//!
//! [`Policy::parallel`] messages are rendered and sent at once (one per pooled SMTP
//! connection), and results are written by one recorder in group commits: whatever finished
//! while the previous commit was running goes into the next one, so there is one commit (one
//! fsync on SQLite) per group instead of one per message, and the sends never wait for a
//! commit unless [`Policy::in_flight`] messages are already unrecorded. That bound is the
//! duplicate window: a message counts from the start of its send until its result is
//! committed, and only those, at most `in_flight`, can be sent again after a crash. A
//! [`deliver_due`] run claims the next batch while the current one is being sent.
//!
//! A dead worker's rows come back to the others when its lease runs out: at most
//! [`Policy::lease`] (one minute) after its last renewal, whatever the size of its batch.
//!
//! Time is `state.clock`: tests move it, nothing here waits for the wall clock except the
//! idle pause of [`run_until`] between empty polls and the lease renewal period.
use std::collections::{BTreeSet, VecDeque};
use std::future::Future;

use crate::platform::config::ExposeSecret;
use chrono::{DateTime, Duration, Utc};
use entities::{kinds::Channel, outbox};
use tokio::task::{JoinHandle, JoinSet};

use super::{
    compose::to_message,
    lease::{self, Outcome},
    message::{outgoing, without_token},
    payload::Payload,
    sms::{
        self, OutgoingSms, SmsError,
        budget::{self, Reservation, Segments},
    },
    smtp::{Mailer, SendError},
};
use crate::{platform::config::Settings, platform::logging::redact, platform::state::AppState};

/// How the worker claims, retries and gives up.
#[derive(Debug, Clone)]
pub struct Policy {
    /// How long a claim or a renewal holds the rows: how long a dead worker's rows wait.
    pub lease: Duration,
    /// How often a live worker extends its lease (wall-clock time; well under `lease`, so
    /// that a late renewal or two does not lose the rows).
    pub renew_every: std::time::Duration,
    /// Attempts before a row is `failed` (transient errors only; a permanent one fails at once).
    pub max_attempts: i32,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// Messages sent at the same time (the SMTP pool keeps 4 connections by default).
    pub parallel: usize,
    /// At most this many messages between the start of their send and the commit of their
    /// result: the most that a crash can make go twice. Sends wait when it is reached.
    pub in_flight: usize,
    /// Rows claimed at a time by [`deliver_due`] and [`run_until`].
    pub batch: u64,
    /// Pause between polls of an empty queue in [`run_until`].
    pub idle_wait: std::time::Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            lease: Duration::seconds(60),
            renew_every: std::time::Duration::from_secs(15),
            max_attempts: 8,
            first_backoff: Duration::seconds(30),
            max_backoff: Duration::hours(1),
            parallel: 4,
            in_flight: 32,
            batch: 200,
            idle_wait: std::time::Duration::from_secs(2),
        }
    }
}

/// A send starts only while the lease has at least this long to run (half the lease when
/// that is shorter): time for the send itself and for a late renewal.
const SEND_MARGIN: Duration = Duration::seconds(30);

/// Attempts at writing one group of results before the run gives up (the rows then come back
/// when the lease runs out, and those sent go again: the database was unreachable).
const RECORD_ATTEMPTS: u32 = 3;

impl Policy {
    /// The wait before the next try, after `attempts` tries (the first retry waits
    /// `first_backoff`, each next one twice as long, never more than `max_backoff`).
    pub(crate) fn backoff(&self, attempts: i32) -> Duration {
        let doublings = (attempts.max(1) - 1).min(30) as u32;
        let secs = self
            .first_backoff
            .num_seconds()
            .saturating_mul(1_i64 << doublings)
            .min(self.max_backoff.num_seconds());
        Duration::seconds(secs)
    }

    fn send_margin(&self) -> Duration {
        SEND_MARGIN.min(self.lease / 2)
    }
}

/// What one batch (or run) did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// Handed to the mail server (or written as `.eml`).
    pub sent: usize,
    /// Failed for now; due again after the backoff.
    pub retrying: usize,
    /// Given up (permanent error or last attempt).
    pub failed: usize,
    /// Past `expires_at`; never sent.
    pub expired: usize,
    /// SMS past the organisation's monthly budget; never sent.
    pub over_budget: usize,
    /// Claimed but given back untouched (the lease was running out, or the worker stopping).
    pub released: usize,
}

impl BatchReport {
    fn count(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Sent { .. } => self.sent += 1,
            Outcome::Retry { .. } => self.retrying += 1,
            Outcome::Failed { .. } => self.failed += 1,
            Outcome::Expired { .. } => self.expired += 1,
            Outcome::OverBudget { .. } => self.over_budget += 1,
        }
    }

    fn is_empty(&self) -> bool {
        *self == BatchReport::default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Rows were claimed and each was sent, rescheduled, failed, expired or given back.
    Delivered(BatchReport),
    /// Nothing is due.
    EmptyQueue,
}

/// The mailer of these settings: SMTP when `smtp_url` is set, else `.eml` files in `mail_dir`.
pub fn mailer(settings: &Settings) -> anyhow::Result<Mailer> {
    Mailer::from_url(
        settings.smtp_url.as_ref().map(|u| u.expose_secret()),
        &settings.mail_dir,
    )
}

/// One worker step with the default [`Policy`]: claims up to `max` due rows for `worker_id`
/// and delivers them.
pub async fn try_deliver_batch(
    state: &AppState,
    mailer: &Mailer,
    worker_id: &str,
    max: u64,
) -> anyhow::Result<DeliveryOutcome> {
    try_deliver_batch_with(state, mailer, worker_id, max, &Policy::default()).await
}

/// One claim of up to `max` rows, delivered under `policy`.
pub async fn try_deliver_batch_with(
    state: &AppState,
    mailer: &Mailer,
    worker_id: &str,
    max: u64,
    policy: &Policy,
) -> anyhow::Result<DeliveryOutcome> {
    let run = Run::new(state, mailer, worker_id, policy, max, Claims::One);
    let (report, claimed) = run.go(std::future::pending()).await?;
    Ok(if claimed == 0 {
        DeliveryOutcome::EmptyQueue
    } else {
        DeliveryOutcome::Delivered(report)
    })
}

/// Delivers until nothing is due, claiming batches of [`Policy::batch`] rows, the next one
/// while the current one is being sent. What [`run_until`] does between its idle pauses.
pub async fn deliver_due(
    state: &AppState,
    mailer: &Mailer,
    worker_id: &str,
    policy: &Policy,
) -> anyhow::Result<BatchReport> {
    deliver_due_until(state, mailer, worker_id, policy, std::future::pending()).await
}

/// [`deliver_due`], stopping early when `stop` resolves: no new send starts, those under way
/// are finished and recorded, the rows not reached are given back.
async fn deliver_due_until(
    state: &AppState,
    mailer: &Mailer,
    worker_id: &str,
    policy: &Policy,
    stop: impl Future<Output = ()>,
) -> anyhow::Result<BatchReport> {
    let run = Run::new(state, mailer, worker_id, policy, policy.batch, Claims::UntilEmpty);
    Ok(run.go(stop).await?.0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Claims {
    /// One claim (a step of [`try_deliver_batch`]).
    One,
    /// Until a claim finds nothing while nothing is in progress.
    UntilEmpty,
}

/// One run of the worker: its claimed rows, the sends under way, the results to write.
struct Run<'a> {
    state: &'a AppState,
    mailer: &'a Mailer,
    worker: &'a str,
    policy: &'a Policy,
    batch: u64,
    claims: Claims,
    /// Claimed and not started, in id order.
    queue: VecDeque<outbox::Model>,
    /// Claimed and not yet recorded (or given back): what a renewal extends.
    held: BTreeSet<i64>,
    /// When the lease of the rows held runs out, as last written (on `state.clock`).
    held_until: Option<DateTime<Utc>>,
    /// Results not yet handed to the recorder.
    outcomes: Vec<Outcome>,
    /// Messages whose send has started and whose result is not committed yet.
    unrecorded: usize,
    report: BatchReport,
    claimed: usize,
}

type Recording = JoinHandle<(Vec<Outcome>, Result<Vec<i64>, sea_orm::DbErr>)>;
type Claiming = JoinHandle<Result<Vec<outbox::Model>, sea_orm::DbErr>>;

/// A future that is never ready when the option is empty.
async fn maybe<T>(handle: &mut Option<JoinHandle<T>>) -> Result<T, tokio::task::JoinError> {
    match handle {
        Some(h) => h.await,
        None => std::future::pending().await,
    }
}

impl<'a> Run<'a> {
    fn new(
        state: &'a AppState,
        mailer: &'a Mailer,
        worker: &'a str,
        policy: &'a Policy,
        batch: u64,
        claims: Claims,
    ) -> Self {
        Run {
            state,
            mailer,
            worker,
            policy,
            batch,
            claims,
            queue: VecDeque::new(),
            held: BTreeSet::new(),
            held_until: None,
            outcomes: Vec::new(),
            unrecorded: 0,
            report: BatchReport::default(),
            claimed: 0,
        }
    }

    fn claim(&self) -> Claiming {
        let (db, worker, now, lease, batch) = (
            self.state.db.clone(),
            self.worker.to_string(),
            self.state.clock.now(),
            self.policy.lease,
            self.batch,
        );
        tokio::spawn(async move { lease::claim(&db, &worker, now, lease, batch).await })
    }

    fn record(&self, outcomes: Vec<Outcome>) -> Recording {
        let (db, worker) = (self.state.db.clone(), self.worker.to_string());
        tokio::spawn(async move {
            let result = lease::record(&db, &worker, &outcomes).await;
            (outcomes, result)
        })
    }

    /// Whether a send may start now: the lease must outlast it.
    fn lease_allows_a_send(&self) -> bool {
        self.held_until
            .is_some_and(|until| self.state.clock.now() + self.policy.send_margin() <= until)
    }

    /// Answers the report and how many rows were claimed.
    async fn go(mut self, stop: impl Future<Output = ()>) -> anyhow::Result<(BatchReport, usize)> {
        let mut stop = std::pin::pin!(stop);
        let mut stopping = false;
        let mut first_error: Option<anyhow::Error> = None;
        let mut sending: JoinSet<Outcome> = JoinSet::new();
        let mut recording: Option<Recording> = None;
        let mut record_failures = 0u32;
        let mut claiming: Option<Claiming> = Some(self.claim());
        // Set by a claim that found nothing while work was under way: the results about to be
        // written may unblock the next message of a booking, so one more claim is made once
        // everything is recorded; when that one finds nothing too, the run ends.
        let mut look_again_when_idle = false;
        let mut no_more_claims = self.claims == Claims::One;
        let every = self.policy.renew_every.max(std::time::Duration::from_millis(1));
        let mut renewal = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        renewal.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

        loop {
            let winding_down = stopping || first_error.is_some();
            // Claim ahead while the queue runs low, so that the connections never wait for it.
            if claiming.is_none() && !winding_down && !no_more_claims {
                let idle = sending.is_empty() && recording.is_none() && self.outcomes.is_empty();
                let may_claim = if look_again_when_idle {
                    idle && self.queue.is_empty()
                } else {
                    (self.queue.len() as u64) <= self.batch / 2
                };
                if may_claim {
                    if look_again_when_idle {
                        look_again_when_idle = false;
                        no_more_claims = true;
                    }
                    claiming = Some(self.claim());
                }
            }
            // Start sends while there is room on the connections and in the duplicate window.
            while !stopping
                && first_error.is_none()
                && sending.len() < self.policy.parallel.max(1)
                && self.unrecorded < self.policy.in_flight.max(1)
                && !self.queue.is_empty()
            {
                if !self.lease_allows_a_send() {
                    tracing::warn!(
                        worker = self.worker,
                        "outbox: the lease is running out; giving the rest back"
                    );
                    stopping = true;
                    break;
                }
                let row = self.queue.pop_front().expect("not empty");
                self.unrecorded += 1;
                let now = self.state.clock.now();
                if row.expires_at.is_some_and(|e| e <= now) {
                    tracing::info!(outbox_id = row.id, kind = %row.kind, "outbox: expired before it could be sent");
                    let outcome = Outcome::Expired {
                        id: row.id,
                        payload: without_token(&row.payload),
                    };
                    self.report.count(&outcome);
                    self.outcomes.push(outcome);
                    continue;
                }
                sending.spawn(deliver_one(
                    self.state.clone(),
                    self.mailer.clone(),
                    row,
                    self.policy.clone(),
                ));
            }
            if recording.is_none() && !self.outcomes.is_empty() {
                let group = std::mem::take(&mut self.outcomes);
                recording = Some(self.record(group));
            }
            let idle = sending.is_empty() && recording.is_none() && self.outcomes.is_empty();
            if idle && claiming.is_none() {
                let winding_down = stopping || first_error.is_some();
                if winding_down || (self.queue.is_empty() && no_more_claims) {
                    break;
                }
            }

            tokio::select! {
                biased;
                joined = maybe(&mut recording) => {
                    recording = None;
                    match joined {
                        Ok((outcomes, Ok(lost))) => {
                            record_failures = 0;
                            self.unrecorded -= outcomes.len();
                            for o in &outcomes {
                                self.held.remove(&o.id());
                            }
                            if !lost.is_empty() {
                                tracing::warn!(
                                    worker = self.worker, outbox_ids = ?lost,
                                    "outbox: results for rows another worker had taken over were not written (a duplicate is possible)"
                                );
                            }
                        }
                        Ok((outcomes, Err(e))) => {
                            record_failures += 1;
                            tracing::error!(worker = self.worker, error = %redact(&e.to_string()), "outbox: could not record deliveries");
                            stopping = true;
                            if record_failures < RECORD_ATTEMPTS {
                                // Written with the next group, after a pause for the database.
                                let mut again = outcomes;
                                again.append(&mut self.outcomes);
                                self.outcomes = again;
                                tokio::time::sleep(std::time::Duration::from_millis(200 * u64::from(record_failures))).await;
                            } else {
                                self.unrecorded -= outcomes.len();
                                first_error.get_or_insert(e.into());
                            }
                        }
                        Err(e) => {
                            tracing::error!(worker = self.worker, error = %redact(&e.to_string()), "outbox: the recorder failed");
                            stopping = true;
                            first_error.get_or_insert(e.into());
                        }
                    }
                }
                Some(joined) = sending.join_next(), if !sending.is_empty() => {
                    match joined {
                        Ok(outcome) => {
                            self.report.count(&outcome);
                            self.outcomes.push(outcome);
                        }
                        Err(e) => {
                            // A panic while rendering or sending: the row stays leased and
                            // comes back when the lease runs out.
                            self.unrecorded -= 1;
                            tracing::error!(worker = self.worker, error = %redact(&e.to_string()), "outbox: delivery task failed");
                            first_error.get_or_insert(e.into());
                            stopping = true;
                        }
                    }
                }
                joined = maybe(&mut claiming) => {
                    claiming = None;
                    match joined.map_err(anyhow::Error::from).and_then(|r| r.map_err(anyhow::Error::from)) {
                        Ok(rows) if rows.is_empty() => {
                            let idle = sending.is_empty() && recording.is_none() && self.outcomes.is_empty();
                            if idle && self.queue.is_empty() {
                                no_more_claims = true;
                            } else if !no_more_claims {
                                look_again_when_idle = true;
                            }
                        }
                        Ok(rows) => {
                            if self.held.is_empty() {
                                self.held_until = rows[0].locked_until;
                            }
                            self.claimed += rows.len();
                            self.held.extend(rows.iter().map(|r| r.id));
                            self.queue.extend(rows);
                            if self.claims == Claims::UntilEmpty {
                                no_more_claims = false;
                            }
                        }
                        Err(e) => {
                            tracing::error!(worker = self.worker, error = %redact(&e.to_string()), "outbox: claim failed");
                            first_error.get_or_insert(e);
                        }
                    }
                }
                _ = renewal.tick(), if !self.held.is_empty() => self.renew().await,
                _ = &mut stop, if !stopping => stopping = true,
            }
        }

        let rest: Vec<i64> = self.queue.drain(..).map(|r| r.id).collect();
        if !rest.is_empty() {
            match lease::release_all(&self.state.db, self.worker, &rest).await {
                Ok(n) => self.report.released += n as usize,
                // They come back when the lease runs out.
                Err(e) => {
                    tracing::error!(worker = self.worker, error = %redact(&e.to_string()), "outbox: could not give rows back");
                    first_error.get_or_insert(e.into());
                }
            }
        }
        if !self.report.is_empty() {
            tracing::debug!(worker = self.worker, report = ?self.report, "outbox run");
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok((self.report, self.claimed)),
        }
    }

    /// Extends the lease on every row held; drops from the queue the rows that were lost
    /// (taken over after a lease that ran out before it could be renewed).
    async fn renew(&mut self) {
        let ids: Vec<i64> = self.held.iter().copied().collect();
        let until = self.state.clock.now() + self.policy.lease;
        match lease::renew(&self.state.db, self.worker, &ids, until).await {
            Ok(still) => {
                self.held_until = Some(until);
                if still.len() < ids.len() {
                    let still: BTreeSet<i64> = still.into_iter().collect();
                    let lost: Vec<i64> = ids.iter().copied().filter(|id| !still.contains(id)).collect();
                    tracing::warn!(worker = self.worker, outbox_ids = ?lost, "outbox: rows taken over by another worker");
                    // Those not started are dropped; those under way are still recorded, or
                    // found lost, by the recorder.
                    let queued_lost: Vec<i64> = self
                        .queue
                        .iter()
                        .map(|r| r.id)
                        .filter(|id| !still.contains(id))
                        .collect();
                    self.queue.retain(|r| still.contains(&r.id));
                    for id in queued_lost {
                        self.held.remove(&id);
                    }
                }
            }
            Err(e) => {
                tracing::warn!(worker = self.worker, error = %redact(&e.to_string()), "outbox: could not renew the lease")
            }
        }
    }
}

/// Renders and sends one row by its channel; answers what became of it (written later by
/// the recorder).
async fn deliver_one(state: AppState, mailer: Mailer, row: outbox::Model, policy: Policy) -> Outcome {
    if row.channel == Channel::Sms {
        return deliver_sms(state, row, policy).await;
    }
    let message = outgoing(&row, &state.settings)
        .map_err(|e| redact(&e.to_string()))
        .and_then(|email| to_message(&email).map_err(|e| redact(&e.to_string())));
    let message = match message {
        Ok(m) => m,
        Err(error) => return unbuildable(&row, error),
    };
    match mailer.send(&message).await {
        Ok(()) => sent(&state, &row, None),
        Err(e) => {
            let permanent = matches!(e, SendError::Permanent { .. });
            // The server's words may quote the recipient: blanked before they are logged or kept.
            after_failure(&state, &row, &policy, permanent, redact(&e.to_string()))
        }
    }
}

/// The SMS of one row, through `state.sms`. Nothing personal (number, text) is logged.
async fn deliver_sms(state: AppState, row: outbox::Model, policy: Policy) -> Outcome {
    let sms = match outgoing_sms(&state, &row) {
        Ok(sms) => sms,
        Err(error) => return unbuildable(&row, error),
    };
    // Under a budget, reserved before the send so that two workers cannot both take its last
    // segments, and given back when the gateway does not take the message; without one,
    // counted with the result in the recorder's group commit.
    let segments = i32::try_from(sms::gsm::segments(&sms.text)).unwrap_or(i32::MAX);
    let (reserved, counted) = match budget::reserve(&state.db, row.organisation_id, state.clock.now(), segments).await {
        Ok(Reservation::Reserved(month)) => (Some(month), None),
        Ok(Reservation::Unlimited(month)) => (
            None,
            Some(Segments {
                organisation_id: row.organisation_id,
                month: month.key(),
                segments,
            }),
        ),
        Ok(Reservation::OverBudget) => {
            tracing::info!(
                outbox_id = row.id,
                "outbox: SMS not sent, the monthly budget is reached"
            );
            return Outcome::OverBudget {
                id: row.id,
                payload: without_token(&row.payload),
            };
        }
        Err(e) => {
            return after_failure(
                &state,
                &row,
                &policy,
                false,
                format!("budget SMS : {}", redact(&e.to_string())),
            );
        }
    };
    match state.sms.send(&sms).await {
        Ok(()) => sent(&state, &row, counted),
        Err(e) => {
            if let Some(month) = reserved
                && let Err(db) = budget::release(&state.db, row.organisation_id, month, segments).await
            {
                tracing::warn!(outbox_id = row.id, error = %redact(&db.to_string()), "outbox: could not give back the segments of a failed SMS");
            }
            let permanent = matches!(e, SmsError::Permanent(_));
            // The server's words may quote the recipient: blanked before they are logged or kept.
            after_failure(&state, &row, &policy, permanent, redact(&e.to_string()))
        }
    }
}

fn outgoing_sms(state: &AppState, row: &outbox::Model) -> Result<OutgoingSms, String> {
    let mut payload: Payload = serde_json::from_str(&row.payload).map_err(|e| format!("unreadable payload: {e}"))?;
    // Only a survey invitation's SMS row keeps a key (a booking's drops it at enqueue).
    super::message::open_link(&mut payload, &state.settings);
    let to = row.recipient_phone.clone().ok_or("the row has no recipient phone")?;
    let from = payload
        .sms_sender
        .clone()
        .filter(|s| sms::is_valid_sender(s))
        .unwrap_or_else(|| sms::sender_from_name(&payload.organisation_name));
    Ok(OutgoingSms {
        id: row.message_id.clone(),
        to,
        from,
        text: sms::text::render(&payload, &state.settings.public_url),
        report: sms::report_address(&state.settings.public_url, row),
    })
}

fn unbuildable(row: &outbox::Model, error: String) -> Outcome {
    tracing::warn!(outbox_id = row.id, error = %error, "outbox: message cannot be built");
    Outcome::Failed {
        id: row.id,
        attempted: false,
        error,
    }
}

fn sent(state: &AppState, row: &outbox::Model, segments: Option<Segments>) -> Outcome {
    tracing::debug!(outbox_id = row.id, channel = %row.channel, message_id = %row.message_id, "outbox: sent");
    Outcome::Sent {
        id: row.id,
        at: state.clock.now(),
        payload: without_token(&row.payload),
        segments,
    }
}

/// A failed send: retried after the backoff, or given up when permanent or the last attempt.
fn after_failure(state: &AppState, row: &outbox::Model, policy: &Policy, permanent: bool, error: String) -> Outcome {
    let attempts = row.attempts + 1;
    if permanent || attempts >= policy.max_attempts {
        tracing::warn!(outbox_id = row.id, channel = %row.channel, attempts, error = %error, "outbox: delivery failed, giving up");
        Outcome::Failed {
            id: row.id,
            attempted: true,
            error,
        }
    } else {
        let retry_at = state.clock.now() + policy.backoff(attempts);
        tracing::info!(outbox_id = row.id, channel = %row.channel, attempts, %retry_at, error = %error, "outbox: will retry");
        Outcome::Retry {
            id: row.id,
            retry_at,
            error,
        }
    }
}

/// A name for this worker in `locked_by`: host, process and a random part.
pub(crate) fn worker_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "creneau".into());
    format!(
        "{host}-{}-{}",
        std::process::id(),
        &crate::platform::token::generate()[..8]
    )
}

/// Delivers the outbox until `shutdown` resolves. The sends under way are finished and their
/// results recorded first, so no message is left sent but unrecorded; the rows not reached are
/// given back at once.
pub async fn run_until(state: AppState, shutdown: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
    let mailer = mailer(&state.settings)?;
    match &mailer {
        Mailer::Files(f) => tracing::info!(
            dir = %f.dir().display(),
            "no SMTP server configured (CRENEAU_SMTP_URL): e-mails are written as .eml files to {}",
            f.dir().display()
        ),
        Mailer::Smtp(_) => tracing::info!(mailer = %mailer.describe(), "delivering e-mails by SMTP"),
    }
    let worker = worker_id();
    let policy = Policy::default();
    tokio::pin!(shutdown);
    let stopped = std::sync::atomic::AtomicBool::new(false);
    let mut errors_in_a_row = 0u32;
    let mut retention_check = crate::retention::DailyCheck::default();
    loop {
        let stop = async {
            (&mut shutdown).await;
            stopped.store(true, std::sync::atomic::Ordering::Relaxed);
        };
        let pause = match deliver_due_until(&state, &mailer, &worker, &policy, stop).await {
            Ok(report) => {
                errors_in_a_row = 0;
                if report != BatchReport::default() {
                    tracing::debug!(?report, "outbox delivered what was due");
                }
                policy.idle_wait
            }
            Err(e) => {
                errors_in_a_row += 1;
                tracing::error!(error = %redact(&format!("{e:#}")), "outbox worker step failed");
                std::time::Duration::from_secs(u64::from(errors_in_a_row.min(30)))
            }
        };
        if stopped.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
        retention_check.run_if_due(&state).await;
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tokio::time::sleep(pause) => {}
        }
    }
    mailer.close().await;
    tracing::info!("outbox worker stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_thirty_seconds_and_stops_at_an_hour() {
        let p = Policy::default();
        let waits: Vec<i64> = (1..=10).map(|a| p.backoff(a).num_seconds()).collect();
        assert_eq!(waits, vec![30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert_eq!(p.backoff(1000).num_seconds(), 3600);
        assert_eq!(p.backoff(0).num_seconds(), 30);
    }
}
