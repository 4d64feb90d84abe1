//! End-to-end: iCalendar invite → MIME message → pooled SMTP mailer → real SMTP server →
//! parsed back.

use std::{path::PathBuf, str::FromStr, time::Duration};

use chrono::{TimeZone, Utc};
use creneau::notifications::{
    compose::{OutgoingEmail, to_message},
    ical::{CalendarEvent, CalendarMethod, invite},
    smtp::Mailer,
};
use creneau_tests::{mail::parse_mail, smtp_server::TestSmtpServer};
use icalendar::Component;

const WAIT: Duration = Duration::from_secs(30);

fn files_dir() -> PathBuf {
    std::env::temp_dir().join(format!("creneau-smtp-roundtrip-{}", std::process::id()))
}

fn event(method: CalendarMethod, sequence: u32) -> CalendarEvent {
    CalendarEvent {
        uid: "booking-42@arles.creneau.example".into(),
        sequence,
        method,
        summary: "Atelier « Créer son adresse e-mail », médiathèque; niveau débutant".into(),
        location: "Médiathèque Joseph-Quillery, 1 rue Émile-Zola, Arles".into(),
        description: "Bonjour Zoé,\nvotre place est réservée. Pensez à apporter votre téléphone.".into(),
        url: Some("https://arles.creneau.example/mes-reservations/42".into()),
        starts_at: Utc.with_ymd_and_hms(2025, 3, 14, 9, 30, 0).unwrap(),
        ends_at: Utc.with_ymd_and_hms(2025, 3, 14, 11, 0, 0).unwrap(),
        dtstamp: Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap(),
        organizer_name: "Ville d'Arles – médiation numérique".into(),
        organizer_email: "ne-pas-repondre@arles.creneau.example".into(),
        attendee_name: "Zoé Lefèvre".into(),
        attendee_email: Some("zoe.lefevre@example.fr".into()),
    }
}

fn email(id: u64, ev: &CalendarEvent) -> OutgoingEmail {
    OutgoingEmail {
        message_id: format!("outbox-{id}@arles.creneau.example"),
        from_name: "Ville d'Arles – Créneau".into(),
        from_email: "ne-pas-repondre@arles.creneau.example".into(),
        reply_to: "mediation@arles.example".into(),
        to_name: "Zoé Lefèvre".into(),
        to_email: "zoe.lefevre@example.fr".into(),
        subject: "Réservation confirmée : atelier « Créer son adresse e-mail »".into(),
        text: "Bonjour Zoé,\n\nvotre réservation est confirmée pour le vendredi 14 mars à 10 h 30.\n".into(),
        html: "<p>Bonjour Zoé,</p><p>votre réservation est confirmée pour le \
               <strong>vendredi 14 mars à 10&nbsp;h&nbsp;30</strong>.</p>"
            .into(),
        calendar: Some((ev.method, invite(ev))),
    }
}

#[tokio::test]
async fn invite_round_trips_through_real_smtp() {
    let server = TestSmtpServer::start().await;
    let mailer = Mailer::from_url(Some(&server.url()), &files_dir()).unwrap();
    assert!(matches!(mailer, Mailer::Smtp(_)), "{}", mailer.describe());

    let ev = event(CalendarMethod::Request, 2);
    let msg = to_message(&email(42, &ev)).unwrap();
    mailer.send(&msg).await.unwrap();

    let received = server.wait_for(1, WAIT).await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].from, "ne-pas-repondre@arles.creneau.example");
    assert_eq!(received[0].to, vec!["zoe.lefevre@example.fr".to_owned()]);

    let mail = parse_mail(&received[0].data);
    assert_eq!(
        mail.subject.as_deref(),
        Some("Réservation confirmée : atelier « Créer son adresse e-mail »")
    );
    assert_eq!(mail.message_id.as_deref(), Some("outbox-42@arles.creneau.example"));
    assert_eq!(mail.header("Subject").len(), 1);
    assert_eq!(mail.header("Date").len(), 1);
    assert_eq!(
        mail.to,
        vec![(Some("Zoé Lefèvre".to_owned()), "zoe.lefevre@example.fr".to_owned())]
    );
    assert_eq!(
        mail.from[0].1, "ne-pas-repondre@arles.creneau.example",
        "{:?}",
        mail.from
    );
    assert!(mail.text.as_deref().unwrap().contains("vendredi 14 mars"));
    assert!(mail.html.as_deref().unwrap().contains("<strong>vendredi 14 mars"));

    // The inline text/calendar alternative.
    let cal_part = mail.calendar.as_ref().expect("text/calendar part");
    assert_eq!(cal_part.content_type, "text/calendar");
    assert_eq!(cal_part.method(), Some("REQUEST"));
    assert_eq!(
        cal_part.params.get("charset").map(|c| c.to_ascii_uppercase()),
        Some("UTF-8".into())
    );
    // The attachment is the same file.
    let ics = mail.attachment("invite.ics").expect("invite.ics attachment");
    assert_eq!(ics.content_type, "application/ics");
    assert_eq!(ics.text(), cal_part.body);
    assert_eq!(ics.text(), invite(&ev));

    let cal = icalendar::Calendar::from_str(&cal_part.body).expect("valid iCalendar");
    assert_eq!(cal.property_value("METHOD"), Some("REQUEST"));
    let parsed_ev = cal.events().next().expect("one VEVENT");
    assert_eq!(parsed_ev.get_uid(), Some("booking-42@arles.creneau.example"));
    assert_eq!(parsed_ev.get_sequence(), Some(2));
    assert_eq!(parsed_ev.get_summary(), Some(ev.summary.as_str()));
    assert_eq!(parsed_ev.property_value("DTSTART"), Some("20250314T093000Z"));
    assert_eq!(parsed_ev.property_value("DTEND"), Some("20250314T110000Z"));
    assert_eq!(parsed_ev.get_attendees().len(), 1);

    mailer.close().await;
    server.stop().await;
}

#[tokio::test]
async fn cancellation_carries_cancel_method_and_higher_sequence() {
    let server = TestSmtpServer::start().await;
    let mailer = Mailer::from_url(Some(&server.url()), &files_dir()).unwrap();
    let ev = event(CalendarMethod::Cancel, 3);
    mailer.send(&to_message(&email(43, &ev)).unwrap()).await.unwrap();
    let received = server.wait_for(1, WAIT).await;
    let mail = parse_mail(&received[0].data);
    let part = mail.calendar.as_ref().expect("text/calendar part");
    assert_eq!(part.method(), Some("CANCEL"));
    let cal = icalendar::Calendar::from_str(&part.body).unwrap();
    assert_eq!(cal.property_value("METHOD"), Some("CANCEL"));
    let e = cal.events().next().unwrap();
    assert_eq!(e.get_sequence(), Some(3));
    assert_eq!(e.property_value("STATUS"), Some("CANCELLED"));
    assert!(mail.attachment("invite.ics").is_some());
    server.stop().await;
}

#[tokio::test]
async fn plain_email_without_calendar() {
    let server = TestSmtpServer::start().await;
    let mailer = Mailer::from_url(Some(&server.url()), &files_dir()).unwrap();
    let mut e = email(44, &event(CalendarMethod::Request, 0));
    e.calendar = None;
    e.subject = "Rappel : votre rendez-vous de demain".into();
    mailer.send(&to_message(&e).unwrap()).await.unwrap();
    let mail = parse_mail(&server.wait_for(1, WAIT).await[0].data);
    assert_eq!(mail.subject.as_deref(), Some("Rappel : votre rendez-vous de demain"));
    assert!(mail.calendar.is_none());
    assert!(mail.attachments.is_empty());
    assert!(mail.text.is_some() && mail.html.is_some());
    server.stop().await;
}

#[tokio::test]
async fn pooled_mailer_reuses_connections_and_reports_rate() {
    let server = TestSmtpServer::start().await;
    let mailer = Mailer::from_url(Some(&server.url()), &files_dir()).unwrap();
    let ev = event(CalendarMethod::Request, 1);
    let messages: Vec<_> = (0..200).map(|i| to_message(&email(1000 + i, &ev)).unwrap()).collect();

    let started = std::time::Instant::now();
    for msg in &messages {
        mailer.send(msg).await.unwrap();
    }
    let elapsed = started.elapsed();
    let received = server.wait_for(200, WAIT).await;
    assert_eq!(received.len(), 200);
    // Sequential sends go over one pooled connection.
    assert_eq!(server.connections(), 1);
    eprintln!(
        "pooled nodelay SMTP mailer: 200 messages ({} bytes each) in {:.1} ms = {:.3} ms/message, {:.0} messages/s",
        messages[0].formatted().len(),
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e3 / 200.0,
        200.0 / elapsed.as_secs_f64()
    );

    // Concurrent sends open a few more connections, all delivered.
    server.clear();
    let started = std::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in messages.chunks(50) {
        let mailer = mailer.clone();
        let chunk = chunk.to_vec();
        tasks.spawn(async move {
            for msg in &chunk {
                mailer.send(msg).await.unwrap();
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    let elapsed = started.elapsed();
    assert_eq!(server.wait_for(200, WAIT).await.len(), 200);
    eprintln!(
        "pooled nodelay SMTP mailer, 4 concurrent senders: 200 messages in {:.1} ms = {:.3} ms/message ({} connections in total)",
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e3 / 200.0,
        server.connections()
    );
    server.stop().await;
}

#[tokio::test]
async fn server_down_is_transient_then_recovers() {
    let server = TestSmtpServer::start().await;
    let mailer = Mailer::from_url(Some(&server.url()), &files_dir()).unwrap();
    let ev = event(CalendarMethod::Request, 1);

    // Warm the pool, then take the server down: the pooled session gets 451 to MAIL, the
    // fresh connection gets 421.
    mailer.send(&to_message(&email(1, &ev)).unwrap()).await.unwrap();
    server.set_down(true);
    let err = mailer.send(&to_message(&email(2, &ev)).unwrap()).await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert_eq!(err.code(), Some(421), "{err}");

    server.set_down(false);
    mailer.send(&to_message(&email(3, &ev)).unwrap()).await.unwrap();
    let received = server.wait_for(2, WAIT).await;
    let ids: Vec<_> = received
        .iter()
        .map(|m| parse_mail(&m.data).message_id.unwrap())
        .collect();
    assert_eq!(
        ids,
        vec!["outbox-1@arles.creneau.example", "outbox-3@arles.creneau.example"]
    );

    // Stopped server: connection refused, transient.
    server.stop().await;
    let err = mailer.send(&to_message(&email(4, &ev)).unwrap()).await.unwrap_err();
    assert!(err.is_transient(), "{err}");
}

#[tokio::test]
async fn rejected_recipient_is_permanent() {
    let server = TestSmtpServer::start().await;
    let mailer = Mailer::from_url(Some(&server.url()), &files_dir()).unwrap();
    server.reject_recipients_containing(Some("zoe.lefevre@"));
    let err = mailer
        .send(&to_message(&email(5, &event(CalendarMethod::Request, 1))).unwrap())
        .await
        .unwrap_err();
    assert!(err.is_permanent(), "{err}");
    assert_eq!(err.code(), Some(550));
    assert!(server.messages().is_empty());
    server.stop().await;
}

#[tokio::test]
async fn authenticated_plain_smtp_url() {
    let server = TestSmtpServer::start().await;
    let url = format!("smtp://relay%40arles:p%C3%A4ss@127.0.0.1:{}", server.port());
    let mailer = Mailer::from_url(Some(&url), &files_dir()).unwrap();
    assert!(!mailer.describe().contains("päss"));
    mailer
        .send(&to_message(&email(6, &event(CalendarMethod::Request, 1))).unwrap())
        .await
        .unwrap();
    assert_eq!(server.wait_for(1, WAIT).await.len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn dot_stuffing_round_trips() {
    let server = TestSmtpServer::start().await;
    let mailer = Mailer::from_url(Some(&server.url()), &files_dir()).unwrap();
    let mut e = email(7, &event(CalendarMethod::Request, 1));
    e.calendar = None;
    e.text = ".\n..\n.ligne qui commence par un point\nfin\n".into();
    mailer.send(&to_message(&e).unwrap()).await.unwrap();
    let mail = parse_mail(&server.wait_for(1, WAIT).await[0].data);
    assert_eq!(
        mail.text.as_deref().map(|t| t.replace("\r\n", "\n")),
        Some(e.text.clone())
    );
    server.stop().await;
}

#[tokio::test]
async fn file_mailer_when_no_url() {
    let dir = files_dir().join("eml");
    let _ = std::fs::remove_dir_all(&dir);
    let mailer = Mailer::from_url(None, &dir).unwrap();
    let ev = event(CalendarMethod::Request, 1);
    mailer.send(&to_message(&email(8, &ev)).unwrap()).await.unwrap();
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1);
    let name = files[0].file_name().unwrap().to_str().unwrap().to_owned();
    assert!(name.ends_with("-outbox-8@arles.creneau.example.eml"), "{name}");
    let mail = parse_mail(&std::fs::read(&files[0]).unwrap());
    assert_eq!(mail.calendar.unwrap().method(), Some("REQUEST"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn pipelined_and_one_command_at_a_time_servers_receive_the_same_bytes_and_a_refusal_leaves_the_pool_usable() {
    let pipelining = TestSmtpServer::start().await;
    let one_by_one = TestSmtpServer::start().await;
    one_by_one.advertise_pipelining(false);
    let raw =
        b"Message-ID: <outbox-9@arles.creneau.example>\r\nSubject: points\r\n\r\n.\r\n..deux\r\n.trois\r\nfin.\r\n";
    let env =
        creneau::notifications::smtp::envelope("ne-pas-repondre@arles.creneau.example", &["zoe@example.fr"]).unwrap();
    for server in [&pipelining, &one_by_one] {
        let mailer = Mailer::from_url(Some(&server.url()), &files_dir()).unwrap();
        mailer.send_raw(&env, raw).await.unwrap();
        // A refused recipient fails for good; the next message still goes (the session whose
        // replies were cut short is not reused).
        server.reject_recipients_containing(Some("refus"));
        let refused =
            creneau::notifications::smtp::envelope("ne-pas-repondre@arles.creneau.example", &["refus@example.fr"])
                .unwrap();
        let err = mailer.send_raw(&refused, raw).await.unwrap_err();
        assert!(err.is_permanent(), "{err}");
        assert_eq!(err.code(), Some(550));
        mailer.send_raw(&env, raw).await.unwrap();
        let got = server.wait_for(2, WAIT).await;
        assert_eq!(got.len(), 2);
        assert!(got.iter().all(|m| m.to == vec!["zoe@example.fr".to_owned()]));
    }
    let a = pipelining.messages();
    let b = one_by_one.messages();
    assert_eq!(a[0].data, b[0].data, "the same bytes either way");
    assert!(
        a[0].data_str().contains("\r\n.\r\n..deux\r\n.trois\r\n"),
        "dot-stuffing undone by the server"
    );
    pipelining.stop().await;
    one_by_one.stop().await;
}
