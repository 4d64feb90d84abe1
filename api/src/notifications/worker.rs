//! The outbox worker: delivers due rows, exactly once as far as it is up to us.
//!
//! One step, [`try_deliver_batch`], claims a batch of due rows with a lease (see
//! [`super::lease`]), sends each outside any transaction and records the result:
//!
//! * sent: `sent`, `sent_at`, the manage token removed from the stored payload;
//! * a transient failure (server down, 4xx, network): due again after an exponential
//!   backoff (30 s, 1 min, 2 min… at most 1 h), until [`Policy::max_attempts`];
//! * a permanent failure (5xx to the message, an unusable address) or the last attempt:
//!   `failed` with the error, listed for staff who may retry it;
//! * past its `expires_at` (a reminder for a booking that has started): `expired`, never sent.
//!
//! Time is `state.clock`: tests move it, nothing here waits for the wall clock except the
//! idle pause of [`run_until`] between empty polls.
use crate::platform::config::ExposeSecret;
use std::time::Instant;

use chrono::Duration;
use entities::outbox;
use tokio::task::JoinSet;

use super::{
    compose::to_message,
    lease,
    message::{outgoing, without_token},
    smtp::{Mailer, SendError},
};
use crate::{platform::config::Settings, platform::state::AppState};

/// How the worker claims, retries and gives up.
#[derive(Debug, Clone)]
pub struct Policy {
    /// How long a claim holds its rows. Longer than a batch takes: sends stop once
    /// `lease - SEND_MARGIN` has passed and the rest of the batch is given back.
    pub lease: Duration,
    /// Attempts before a row is `failed` (transient errors only; a permanent one fails at once).
    pub max_attempts: i32,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// Messages sent at the same time (the SMTP pool keeps 4 connections by default).
    pub parallel: usize,
    /// Rows claimed per batch by [`run_until`].
    pub batch: u64,
    /// Pause between polls of an empty queue in [`run_until`].
    pub idle_wait: std::time::Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            lease: Duration::minutes(10),
            max_attempts: 8,
            first_backoff: Duration::seconds(30),
            max_backoff: Duration::hours(1),
            parallel: 4,
            batch: 50,
            idle_wait: std::time::Duration::from_secs(2),
        }
    }
}

/// Time kept in hand at the end of a lease for the send in progress (the SMTP client's own
/// timeouts are 10 s to connect and 60 s a command).
const SEND_MARGIN: std::time::Duration = std::time::Duration::from_secs(120);

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
}

/// What one batch did.
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
    /// Claimed but given back untouched (the lease was running out).
    pub released: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Rows were claimed and each was sent, rescheduled, failed or expired.
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

pub async fn try_deliver_batch_with(
    state: &AppState,
    mailer: &Mailer,
    worker_id: &str,
    max: u64,
    policy: &Policy,
) -> anyhow::Result<DeliveryOutcome> {
    let rows = lease::claim(&state.db, worker_id, state.clock.now(), policy.lease, max).await?;
    if rows.is_empty() {
        return Ok(DeliveryOutcome::EmptyQueue);
    }
    let lease_ms = u64::try_from(policy.lease.num_milliseconds()).unwrap_or(0);
    let stop_sending_at = Instant::now() + std::time::Duration::from_millis(lease_ms).saturating_sub(SEND_MARGIN);
    let mut report = BatchReport::default();
    let mut first_error: Option<anyhow::Error> = None;
    let mut tasks = JoinSet::new();
    let mut rows = rows.into_iter();
    loop {
        while tasks.len() < policy.parallel.max(1) {
            let Some(row) = rows.next() else { break };
            if Instant::now() >= stop_sending_at {
                lease::release(&state.db, &row, worker_id).await?;
                report.released += 1;
                continue;
            }
            tasks.spawn(deliver_one(
                state.clone(),
                mailer.clone(),
                worker_id.to_string(),
                row,
                policy.clone(),
            ));
        }
        let Some(joined) = tasks.join_next().await else { break };
        match joined {
            Ok(Ok(Handled::Sent)) => report.sent += 1,
            Ok(Ok(Handled::Retrying)) => report.retrying += 1,
            Ok(Ok(Handled::Failed)) => report.failed += 1,
            Ok(Ok(Handled::Expired)) => report.expired += 1,
            Ok(Err(e)) => {
                tracing::error!(worker = worker_id, error = %e, "outbox: could not record a delivery");
                first_error.get_or_insert(e.into());
            }
            Err(e) => {
                tracing::error!(worker = worker_id, error = %e, "outbox: delivery task failed");
                first_error.get_or_insert(e.into());
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(DeliveryOutcome::Delivered(report)),
    }
}

enum Handled {
    Sent,
    Retrying,
    Failed,
    Expired,
}

async fn deliver_one(
    state: AppState,
    mailer: Mailer,
    worker: String,
    row: outbox::Model,
    policy: Policy,
) -> Result<Handled, sea_orm::DbErr> {
    let db = &state.db;
    let now = state.clock.now();
    if row.expires_at.is_some_and(|e| e <= now) {
        lease::mark_expired(db, &row, &worker, without_token(&row.payload)).await?;
        tracing::info!(outbox_id = row.id, kind = %row.kind, "outbox: expired before it could be sent");
        return Ok(Handled::Expired);
    }
    let message = outgoing(&row, &state.settings.mail_from)
        .map_err(|e| e.to_string())
        .and_then(|email| to_message(&email).map_err(|e| e.to_string()));
    let message = match message {
        Ok(m) => m,
        Err(e) => {
            lease::mark_failed(db, &row, &worker, false, &e).await?;
            tracing::warn!(outbox_id = row.id, error = %e, "outbox: message cannot be built");
            return Ok(Handled::Failed);
        }
    };
    match mailer.send(&message).await {
        Ok(()) => {
            let now = state.clock.now();
            if !lease::mark_sent(db, &row, &worker, now, without_token(&row.payload)).await? {
                tracing::warn!(
                    outbox_id = row.id,
                    "outbox: sent after the lease passed to another worker (a duplicate is possible)"
                );
            }
            tracing::debug!(outbox_id = row.id, message_id = %row.message_id, "outbox: sent");
            Ok(Handled::Sent)
        }
        Err(e) => {
            let attempts = row.attempts + 1;
            let error = e.to_string();
            if matches!(e, SendError::Permanent { .. }) || attempts >= policy.max_attempts {
                lease::mark_failed(db, &row, &worker, true, &error).await?;
                tracing::warn!(outbox_id = row.id, attempts, error = %error, "outbox: delivery failed, giving up");
                Ok(Handled::Failed)
            } else {
                let retry_at = state.clock.now() + policy.backoff(attempts);
                lease::mark_retry(db, &row, &worker, retry_at, &error).await?;
                tracing::info!(outbox_id = row.id, attempts, %retry_at, error = %error, "outbox: will retry");
                Ok(Handled::Retrying)
            }
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

/// Delivers the outbox until `shutdown` resolves. A batch in progress is finished first, so
/// no message is left sent but unrecorded.
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
    let mut errors_in_a_row = 0u32;
    loop {
        let pause = match try_deliver_batch_with(&state, &mailer, &worker, policy.batch, &policy).await {
            Ok(DeliveryOutcome::Delivered(report)) => {
                errors_in_a_row = 0;
                tracing::debug!(?report, "outbox batch");
                None
            }
            Ok(DeliveryOutcome::EmptyQueue) => {
                errors_in_a_row = 0;
                Some(policy.idle_wait)
            }
            Err(e) => {
                errors_in_a_row += 1;
                tracing::error!(error = %format!("{e:#}"), "outbox worker step failed");
                Some(std::time::Duration::from_secs(u64::from(errors_in_a_row.min(30))))
            }
        };
        match pause {
            Some(p) => {
                tokio::select! {
                    _ = &mut shutdown => break,
                    _ = tokio::time::sleep(p) => {}
                }
            }
            None => {
                tokio::select! {
                    biased;
                    _ = &mut shutdown => break,
                    _ = std::future::ready(()) => {}
                }
            }
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
