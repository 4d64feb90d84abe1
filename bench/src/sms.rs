//! (j) SMS through a real gateway: MESSAGES phone-only registrations (SMS accepted, as the
//! default is with a mobile and no e-mail) make as many due confirmation SMS; the outbox
//! worker delivers them to Kannel's `sendsms` interface (`kannel://…`), and the time runs
//! until fakesmsc, the SMS centre, has received them all. Then the reference, in the same
//! run: the very messages the worker handed to Kannel sent again straight to `sendsms`
//! (the same query, the same number of requests at once) on a fresh gateway, timed the
//! same way. Both sides are checked at fakesmsc: each message arrived exactly once.
//!
//! The gateway is creneau-tests' [`TestKannel`] (bearerbox, smsbox and fakesmsc from
//! Debian's packages on free loopback ports), the configuration the Kannel tests run on.
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use creneau::{
    domain::contact::Contact,
    notifications::{
        sms::{
            OutgoingSms, SmsProvider,
            provider::{self, DLR_MASK, SendFuture},
        },
        worker::{self, Policy},
    },
    platform::config::SecretString,
    workshops::service::{self, Booker},
};
use creneau_tests::kannel::{ReceivedSms, TestKannel};
use entities::{kinds::Channel, outbox};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

/// How long a side may take before the run is called failed.
const DEADLINE: Duration = Duration::from_secs(300);

/// The worker's provider, keeping a copy of each message it hands to the gateway: the
/// reference sends those same messages.
struct Recording {
    inner: Arc<dyn SmsProvider>,
    sent: Mutex<Vec<OutgoingSms>>,
}

impl SmsProvider for Recording {
    fn send<'a>(&'a self, sms: &'a OutgoingSms) -> SendFuture<'a> {
        Box::pin(async move {
            self.inner.send(sms).await?;
            self.sent.lock().expect("not poisoned").push(sms.clone());
            Ok(())
        })
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }
}

/// `sms DATABASE_URL SESSIONS MESSAGES PARALLEL OFFSET`; prints JSON.
pub async fn run(
    database_url: &str,
    sessions: &[i32],
    messages: u64,
    parallel: usize,
    offset: u64,
) -> anyhow::Result<()> {
    let kannel = TestKannel::start().context("Kannel is not installed (apt-get install -y kannel kannel-extras)")?;
    let mut state = super::state_for(database_url).await?;
    let mut settings = (*state.settings).clone();
    settings.sms_url = Some(SecretString::from(kannel.url()));
    let recording = Arc::new(Recording {
        inner: provider::from_settings(&settings)?,
        sent: Mutex::new(Vec::with_capacity(messages as usize)),
    });
    state.settings = Arc::new(settings);
    state.sms = recording.clone();

    // The messages: one confirmation SMS per phone-only registration, due now (the answer to
    // what the person just did goes at any hour).
    let mut set = tokio::task::JoinSet::new();
    let counter = Arc::new(AtomicU64::new(0));
    for _ in 0..8 {
        let (state, counter, sessions) = (state.clone(), counter.clone(), sessions.to_vec());
        set.spawn(async move {
            loop {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                if n >= messages {
                    break;
                }
                let session = sessions[(n as usize) % sessions.len()];
                let number = super::phone(6, offset + n);
                let contact = Contact::parse(&format!("Personne {n}"), None, Some(&number)).unwrap();
                service::register(&state, session, contact, None, Booker::Resident)
                    .await
                    .expect("a registration");
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r?;
    }
    let due = outbox::Entity::find()
        .filter(outbox::Column::Channel.eq(Channel::Sms))
        .filter(outbox::Column::Status.eq("pending"))
        .filter(outbox::Column::NotBefore.lte(state.clock.now()))
        .count(&state.db)
        .await?;
    if due != messages {
        bail!("{due} SMS due after {messages} phone-only registrations");
    }

    let mailer = worker::mailer(&state.settings)?;
    let policy = Policy {
        parallel,
        ..Policy::default()
    };
    let started = Instant::now();
    let report = worker::deliver_due(&state, &mailer, "bench", &policy).await?;
    if report.failed > 0 || report.retrying > 0 || report.sent as u64 != due {
        bail!("delivery: {report:?} for {due} due");
    }
    received_all(&kannel, due as usize, started).await?;
    let ours = started.elapsed().as_secs_f64();
    // A moment more, untimed, for a duplicate to show.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let ours_received = kannel.received();
    let ours_segments = kannel.segments();
    let sent = std::mem::take(&mut *recording.sent.lock().expect("not poisoned"));
    let ours_texts_differ = exactly_once(&ours_received, &sent).context("ours")?;
    drop(kannel);

    // The reference: the same requests, `parallel` at a time, on a fresh gateway.
    let kannel = TestKannel::start().context("Kannel, again")?;
    let url = reqwest::Url::parse(&kannel.url())?;
    let (user, password) = (
        url.username().to_string(),
        url.password().unwrap_or_default().to_string(),
    );
    let endpoint = format!("http://127.0.0.1:{}/cgi-bin/sendsms", kannel.sendsms_port);
    let client = reqwest::Client::new();
    let sent = Arc::new(sent);
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for c in 0..parallel {
        let (sent, client, endpoint, user, password) = (
            sent.clone(),
            client.clone(),
            endpoint.clone(),
            user.clone(),
            password.clone(),
        );
        set.spawn(async move {
            for sms in sent.iter().skip(c).step_by(parallel) {
                let resp = client
                    .get(&endpoint)
                    .query(&[
                        ("username", user.as_str()),
                        ("password", password.as_str()),
                        ("from", sms.from.as_str()),
                        ("to", sms.to.as_str()),
                        ("text", sms.text.as_str()),
                        ("charset", "UTF-8"),
                        ("coding", "0"),
                        ("dlr-mask", DLR_MASK),
                        ("dlr-url", sms.report.kannel_url().as_str()),
                    ])
                    .send()
                    .await?;
                let status = resp.status();
                if !status.is_success() {
                    bail!("sendsms answered {status}");
                }
            }
            anyhow::Ok(())
        });
    }
    while let Some(r) = set.join_next().await {
        r??;
    }
    received_all(&kannel, sent.len(), started).await?;
    let reference = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let reference_received = kannel.received();
    let reference_texts_differ = exactly_once(&reference_received, &sent).context("reference")?;
    println!(
        "{}",
        json!({
            "messages": due, "parallel": parallel, "segments": ours_segments,
            "reference_segments": kannel.segments(),
            "ours_seconds": ours, "ours_per_second": due as f64 / ours,
            "reference_seconds": reference, "reference_per_second": due as f64 / reference,
            "ratio": reference / ours, "each_once": true,
            "texts_differ": ours_texts_differ, "reference_texts_differ": reference_texts_differ
        })
    );
    Ok(())
}

/// Waits until fakesmsc has received `n` whole messages (the parts of a long one joined).
async fn received_all(kannel: &TestKannel, n: usize, started: Instant) -> anyhow::Result<()> {
    loop {
        let got = kannel.received();
        if got.len() >= n {
            return Ok(());
        }
        if started.elapsed() > DEADLINE {
            bail!("fakesmsc received {} of {n} messages in {DEADLINE:?}", got.len());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Each message handed to the gateway arrived once, to its number; answers how many arrived
/// with a text other than the one sent, as fakesmsc prints it (its log is not byte-exact for
/// every GSM character, so a difference is reported, not fatal).
fn exactly_once(received: &[ReceivedSms], sent: &[OutgoingSms]) -> anyhow::Result<usize> {
    let mut by_number: HashMap<&str, Vec<&ReceivedSms>> = HashMap::new();
    for r in received {
        by_number.entry(r.to.trim_start_matches('+')).or_default().push(r);
    }
    if received.len() != sent.len() {
        bail!("{} messages received for {} sent", received.len(), sent.len());
    }
    let mut texts_differ = 0;
    for s in sent {
        match by_number.get(s.to.trim_start_matches('+')).map(Vec::as_slice) {
            Some([one]) => texts_differ += usize::from(one.text != s.text),
            Some(many) => bail!("a number received {} messages", many.len()),
            None => bail!("a message never arrived"),
        }
    }
    Ok(texts_differ)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(to: &str) -> OutgoingSms {
        OutgoingSms {
            id: to.into(),
            to: to.into(),
            from: "Banc".into(),
            text: "Inscription confirmée".into(),
            report: creneau::notifications::sms::ReportAddress {
                public_url: String::new(),
                id: 0,
                secret: String::new(),
            },
        }
    }

    fn got(to: &str, text: &str) -> ReceivedSms {
        ReceivedSms {
            from: "Banc".into(),
            to: to.into(),
            text: text.into(),
        }
    }

    #[test]
    fn every_message_received_once_passes_and_a_changed_text_is_only_counted() {
        let out = [sent("+33681234567"), sent("+33681234568")];
        let ok = [
            got("+33681234568", "Inscription confirmée"),
            got("33681234567", "autre"),
        ];
        assert_eq!(exactly_once(&ok, &out).unwrap(), 1);
    }

    #[test]
    fn a_message_received_twice_or_never_fails_the_run() {
        let out = [sent("+33681234567"), sent("+33681234568")];
        let twice = [
            got("+33681234567", "Inscription confirmée"),
            got("+33681234567", "Inscription confirmée"),
        ];
        assert!(exactly_once(&twice, &out).is_err());
        let missing = [got("+33681234567", "Inscription confirmée")];
        assert!(exactly_once(&missing, &out).is_err());
    }
}
