//! `creneau-bench`: the pieces of `bench/run.sh` that are not a stock load tool.
//!
//! * `fixed-json FILE LISTEN`: a poem server answering every GET with FILE as JSON (the
//!   ceiling a read of ours is compared with);
//! * `seed BASE TOKEN SESSIONS CAPACITY`: a place with opening hours and a reason for
//!   appointments, a workshop and SESSIONS upcoming sessions, made through the API; prints JSON;
//! * `write-direct DATABASE_URL SESSIONS TASKS SECONDS [OFFSET]`: the registration transaction of the API
//!   called in-process through sea-orm, no HTTP, from TASKS tasks; prints registrations/s;
//! * `flash BASE SESSION CLIENTS`: CLIENTS clients, each on its own connection, register for
//!   one session at the same instant; checks every request is answered and the seat counts;
//! * `outbox DATABASE_URL SESSIONS MESSAGES CONNECTIONS`: makes MESSAGES due messages, delivers
//!   them with the outbox worker to a loopback SMTP server, then sends the same messages with
//!   lettre's SMTP client (TCP_NODELAY) over the same number of connections;
//! * `stats DATABASE_URL [RUNS]`: seeds a year for a town of 20 places (about 50,000
//!   bookings, batched inserts) into a fresh database, then times `statistics::compute` for
//!   that year RUNS times (default 5), checking it summarised every activity record; prints JSON;
//! * `seed-year DATABASE_URL`: the same year seeded alone (for the export row); prints its counts;
//! * `sms DATABASE_URL SESSIONS MESSAGES PARALLEL [OFFSET]`: MESSAGES phone-only registrations,
//!   their confirmation SMS delivered by the outbox worker through Kannel (fakesmsc as the SMS
//!   centre), then the same messages sent straight to Kannel's `sendsms`, PARALLEL at a time.
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use chrono::Utc;
use creneau::{
    domain::contact::Contact,
    notifications::worker::{self, Policy},
    platform::clock::Clock,
    platform::config::Settings,
    platform::state::AppState,
    workshops::service::{self, Booker},
};
use serde_json::{Value, json};

mod sms;
mod stats;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| -> anyhow::Result<&str> {
        args.get(i)
            .map(String::as_str)
            .with_context(|| format!("missing argument {i}: see the usage in bench/src/main.rs"))
    };
    match arg(0)? {
        "fixed-json" => fixed_json(arg(1)?, arg(2)?).await,
        "seed" => seed(arg(1)?, arg(2)?, arg(3)?.parse()?, arg(4)?.parse()?).await,
        "write-direct" => {
            let offset = args.get(5).map_or(Ok(0), |o| o.parse())?;
            write_direct(arg(1)?, &ids(arg(2)?)?, arg(3)?.parse()?, arg(4)?.parse()?, offset).await
        }
        "flash" => flash(arg(1)?, arg(2)?.parse()?, arg(3)?.parse()?).await,
        "outbox" => outbox(arg(1)?, &ids(arg(2)?)?, arg(3)?.parse()?, arg(4)?.parse()?).await,
        "stats" => stats::run(arg(1)?, args.get(2).map_or(Ok(5), |r| r.parse())?).await,
        "seed-year" => stats::seed_only(arg(1)?).await,
        "sms" => {
            let offset = args.get(5).map_or(Ok(0), |o| o.parse())?;
            sms::run(arg(1)?, &ids(arg(2)?)?, arg(3)?.parse()?, arg(4)?.parse()?, offset).await
        }
        other => bail!("unknown command {other}"),
    }
}

fn ids(csv: &str) -> anyhow::Result<Vec<i32>> {
    csv.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim().parse::<i32>().context("a session id"))
        .collect()
}

async fn fixed_json(file: &str, listen: &str) -> anyhow::Result<()> {
    use poem::{Route, Server, get, handler, listener::TcpListener, web::Data};
    let body: Arc<Vec<u8>> = Arc::new(std::fs::read(file)?);
    #[handler]
    fn fixed(Data(body): Data<&Arc<Vec<u8>>>) -> poem::Response {
        poem::Response::builder()
            .content_type("application/json; charset=utf-8")
            .body(body.as_ref().clone())
    }
    use poem::EndpointExt;
    let app = Route::new().at("/*", get(fixed)).data(body);
    Server::new(TcpListener::bind(listen)).run(app).await?;
    Ok(())
}

async fn send(req: reqwest::RequestBuilder, expect: u16) -> anyhow::Result<Value> {
    let resp = req.send().await?;
    let status = resp.status().as_u16();
    let text = resp.text().await?;
    if status != expect {
        bail!("expected {expect}, got {status}: {text}");
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn seed(base: &str, token: &str, sessions: usize, capacity: i32) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let post = |path: &str, body: Value| client.post(format!("{base}{path}")).bearer_auth(token).json(&body);
    let place = send(
        post(
            "/api/v1/admin/places",
            json!({"name": "Médiathèque de test", "kind": "library", "address": "1 place du Test",
                   "postal_code": "13200", "city": "Arles", "desks": 2}),
        ),
        201,
    )
    .await?;
    let place_id = place["id"].as_i64().context("place id")?;
    let workshop = send(
        post(
            "/api/v1/admin/workshops",
            json!({"title": "Découvrir internet", "summary": "Premiers pas", "description": "Atelier",
                   "level": "Débutant", "audience": "Adultes", "default_duration_minutes": 90,
                   "default_capacity": capacity.min(500)}),
        ),
        201,
    )
    .await?;
    let workshop_id = workshop["id"].as_i64().context("workshop id")?;
    for weekday in ["monday", "tuesday", "wednesday", "thursday", "friday"] {
        for (start, end) in [("09:00", "12:00"), ("14:00", "17:30")] {
            send(
                post(
                    &format!("/api/v1/admin/places/{place_id}/opening-rules"),
                    json!({"weekday": weekday, "start_time": start, "end_time": end}),
                ),
                201,
            )
            .await?;
        }
    }
    let motif = send(
        post(
            "/api/v1/admin/motifs",
            json!({"label": "Démarches en ligne", "duration_minutes": 30, "min_notice_minutes": 60,
                   "horizon_days": 60, "place_ids": [place_id]}),
        ),
        201,
    )
    .await?;
    let motif_id = motif["id"].as_i64().context("motif id")?;
    // Sessions from three days on, four a day (09:00, 11:00, 14:00, 16:00 UTC), weekdays or not:
    // public holidays and overlaps in the one room included, so the planning warnings are
    // confirmed up front, as a planner would with "Créer quand même".
    let first = Utc::now().date_naive() + chrono::Duration::days(3);
    let mut ids = Vec::with_capacity(sessions);
    for i in 0..sessions {
        let day = first + chrono::Duration::days((i / 4) as i64);
        let hour = [9, 11, 14, 16][i % 4];
        let start = day.and_hms_opt(hour, 0, 0).unwrap().and_utc();
        let end = start + chrono::Duration::minutes(90);
        let s = send(
            post(
                "/api/v1/admin/sessions",
                json!({"workshop_id": workshop_id, "place_id": place_id, "starts_at": start.to_rfc3339(),
                       "ends_at": end.to_rfc3339(), "capacity": capacity, "confirm_warnings": true}),
            ),
            201,
        )
        .await?;
        ids.push(s["id"].as_i64().context("session id")?);
    }
    println!(
        "{}",
        json!({"place": place_id, "workshop": workshop_id, "motif": motif_id, "sessions": ids})
    );
    Ok(())
}

async fn state_for(database_url: &str) -> anyhow::Result<AppState> {
    let db = creneau::platform::db::connect(database_url).await?;
    AppState::new(db, Clock::system(), Settings::for_database(database_url))
}

/// A phone number unique to `n` within a run (`prefix` 6 or 7 keeps runs apart).
/// A French mobile number in a range France has opened (068…, 078…), so libphonenumber
/// accepts it; distinct for the first ten million `n`.
fn phone(prefix: u8, n: u64) -> String {
    format!("0{prefix}8{:07}", n % 10_000_000)
}

async fn write_direct(
    database_url: &str,
    sessions: &[i32],
    tasks: usize,
    seconds: u64,
    offset: u64,
) -> anyhow::Result<()> {
    let state = state_for(database_url).await?;
    let counter = Arc::new(AtomicU64::new(offset));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..tasks {
        let (state, counter, errors, sessions) = (state.clone(), counter.clone(), errors.clone(), sessions.to_vec());
        set.spawn(async move {
            while Instant::now() < until {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let session = sessions[(n as usize) % sessions.len()];
                let contact = Contact::parse(&format!("Personne {n}"), None, Some(&phone(7, n))).unwrap();
                if service::register(&state, session, contact, None, Booker::Resident)
                    .await
                    .is_err()
                {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while set.join_next().await.is_some() {}
    let elapsed = started.elapsed().as_secs_f64();
    let done = counter.load(Ordering::Relaxed) - offset;
    let errors = errors.load(Ordering::Relaxed);
    println!(
        "{}",
        json!({"registrations": done, "errors": errors, "seconds": elapsed, "per_second": (done - errors) as f64 / elapsed})
    );
    if errors > 0 {
        bail!("{errors} registrations failed");
    }
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

async fn flash(base: &str, session: i32, clients: usize) -> anyhow::Result<()> {
    let barrier = Arc::new(tokio::sync::Barrier::new(clients));
    let mut set = tokio::task::JoinSet::new();
    for n in 0..clients {
        let (barrier, url) = (
            barrier.clone(),
            format!("{base}/api/v1/sessions/{session}/registrations"),
        );
        set.spawn(async move {
            // Each client its own connection, opened before the start signal.
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap();
            let warm = client.get(url.replace("/registrations", "")).send().await;
            drop(warm);
            let body =
                json!({"name": format!("Personne {n}"), "phone": phone(6, 50_000_000 + n as u64), "consent": true});
            barrier.wait().await;
            let started = Instant::now();
            // A client told `503` comes back after `Retry-After`, as a browser's user would;
            // its latency counts from its first try.
            let mut resp = client.post(&url).json(&body).send().await;
            for _ in 0..10 {
                let retry_after = match &resp {
                    Ok(r) if r.status().as_u16() == 503 => r
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
                        .unwrap_or(1),
                    _ => break,
                };
                tokio::time::sleep(Duration::from_secs(retry_after)).await;
                resp = client.post(&url).json(&body).send().await;
            }
            let latency = started.elapsed().as_secs_f64();
            match resp {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let v: Value = r.json().await.unwrap_or(Value::Null);
                    (status, v["status"].as_str().unwrap_or("").to_string(), latency)
                }
                Err(e) => (0, e.to_string(), latency),
            }
        });
    }
    let mut latencies = Vec::with_capacity(clients);
    let (mut confirmed, mut waitlisted, mut other) = (0, 0, Vec::new());
    while let Some(r) = set.join_next().await {
        let (status, outcome, latency) = r?;
        latencies.push(latency);
        match (status, outcome.as_str()) {
            (201, "confirmed") => confirmed += 1,
            (201, "waitlisted") => waitlisted += 1,
            _ => other.push(format!("{status} {outcome}")),
        }
    }
    latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let seen: Value = reqwest::get(format!("{base}/api/v1/sessions/{session}"))
        .await?
        .json()
        .await?;
    let ok = other.is_empty()
        && confirmed == 12
        && waitlisted == clients - 12
        && seen["seats_left"] == 0
        && seen["waitlist_count"].as_u64() == Some((clients - 12) as u64);
    println!(
        "{}",
        json!({
            "clients": clients, "confirmed": confirmed, "waitlisted": waitlisted, "unanswered_or_errors": other.len(),
            "first_errors": other.iter().take(5).collect::<Vec<_>>(),
            "session_seats_left": seen["seats_left"], "session_waitlist_count": seen["waitlist_count"],
            "p50_s": percentile(&latencies, 0.50), "p99_s": percentile(&latencies, 0.99),
            "max_s": latencies.last().copied().unwrap_or(f64::NAN), "counts_ok": ok
        })
    );
    if !ok {
        bail!("flash crowd: wrong counts");
    }
    Ok(())
}

async fn outbox(database_url: &str, sessions: &[i32], messages: u64, connections: usize) -> anyhow::Result<()> {
    use entities::outbox;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

    let smtp = creneau_tests::smtp_server::TestSmtpServer::start().await;
    let mut state = state_for(database_url).await?;
    let mut settings = (*state.settings).clone();
    settings.smtp_url = Some(format!("smtp://127.0.0.1:{}?pool={connections}", smtp.port()).into());
    state.settings = Arc::new(settings);

    // The messages: one confirmation (or waiting-list notice) per registration, due now.
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
                let email = format!("personne.{n}@exemple.fr");
                let contact = Contact::parse(&format!("Personne {n}"), Some(&email), None).unwrap();
                service::register(&state, session, contact, None, Booker::Resident)
                    .await
                    .expect("a registration");
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r?;
    }
    let now = state.clock.now();
    let due = outbox::Entity::find()
        .filter(outbox::Column::Status.eq("pending"))
        .filter(outbox::Column::NotBefore.lte(now))
        .count(&state.db)
        .await?;

    let mailer = worker::mailer(&state.settings)?;
    let policy = Policy {
        parallel: connections,
        ..Policy::default()
    };
    let started = Instant::now();
    let report = worker::deliver_due(&state, &mailer, "bench", &policy).await?;
    if report.failed > 0 || report.retrying > 0 {
        bail!("delivery failures: {report:?}");
    }
    let ours = started.elapsed().as_secs_f64();
    mailer.close().await;
    let received = smtp.messages();
    if received.len() as u64 != due {
        bail!("{} messages received, {due} were due", received.len());
    }

    // The reference: the same bytes to the same envelopes, lettre over `connections` TCP_NODELAY
    // connections, nothing else.
    smtp.clear();
    let received = Arc::new(received);
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for c in 0..connections {
        let (received, port) = (received.clone(), smtp.port());
        set.spawn(async move {
            use lettre::{
                address::Envelope,
                transport::smtp::{client::AsyncSmtpConnection, extension::ClientId},
            };
            let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
            stream.set_nodelay(true)?;
            let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(stream), &ClientId::default()).await?;
            for m in received.iter().skip(c).step_by(connections) {
                let from = if m.from.is_empty() { None } else { Some(m.from.parse()?) };
                let to = m.to.iter().map(|t| t.parse()).collect::<Result<Vec<_>, _>>()?;
                conn.send(&Envelope::new(from, to)?, &m.data).await?;
            }
            conn.quit().await?;
            anyhow::Ok(())
        });
    }
    while let Some(r) = set.join_next().await {
        r??;
    }
    let reference = started.elapsed().as_secs_f64();
    if smtp.messages().len() != received.len() {
        bail!(
            "the reference delivered {} of {}",
            smtp.messages().len(),
            received.len()
        );
    }
    println!(
        "{}",
        json!({
            "messages": due, "connections": connections,
            "ours_seconds": ours, "ours_per_second": due as f64 / ours,
            "reference_seconds": reference, "reference_per_second": due as f64 / reference,
            "ratio": reference / ours
        })
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bench_s_phone_numbers_are_french_mobiles_libphonenumber_accepts() {
        for n in [0, 1, 9_999, 50_000_000, 50_000_999, 9_999_999] {
            for prefix in [6, 7] {
                let number = phone(prefix, n);
                let contact = Contact::parse("Personne", None, Some(&number));
                assert!(contact.is_ok(), "{number}: {contact:?}");
            }
        }
    }
}
