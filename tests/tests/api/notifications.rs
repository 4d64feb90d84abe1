//! What residents receive: each change to a registration or an appointment arrives as one
//! French e-mail, with an iCalendar invite that keeps the same UID and a rising SEQUENCE.
//! Mails go through a real SMTP server on loopback and are parsed back, calendar included.
use chrono::{Duration, TimeZone, Utc};
use creneau::notifications::payload::Payload;
use entities::kinds::{Event, OutboxStatus};
use reqwest::Method;
use serde_json::json;

use crate::{helpers::*, notifications_support::*};

const FROM: &str = "ne-pas-repondre@creneau.localhost";

/// The registration's outbox rows of one kind.
async fn rows_of(app: &creneau_tests::app::TestApp, kind: Event) -> Vec<entities::outbox::Model> {
    outbox_rows(app).await.into_iter().filter(|r| r.kind == kind).collect()
}

mail_test!(
    async fn a_registration_is_confirmed_by_a_french_mail_with_an_invite_and_the_link_is_forgotten_once_sent(
        app: TestApp,
        smtp: TestSmtpServer,
    ) {
        let (_, admin) = app.organisation("arles").await;
        // Tuesday 12 January 2027, 14:00–16:00 in Paris.
        let f = app.session_with(&admin, 8, 8).await;
        let body = json(
            app.register(f.session_id, "Jeanne Martin", Some("jeanne@exemple.fr"), None)
                .await,
        )
        .await;
        let token = body["manage_token"].as_str().unwrap().to_string();
        let manage_url = body["manage_url"].as_str().unwrap().to_string();
        let id = body["id"].as_i64().unwrap();

        let mailer = mailer(&app);
        let report = drain(&app, &mailer).await;
        assert_eq!(report.sent, 1, "the confirmation; reminders are not due yet");

        let mails = received(&smtp);
        assert_eq!(mails.len(), 1);
        let m = &mails[0];
        assert_eq!(
            m.subject.as_deref(),
            Some("Inscription confirmée : Créer mon compte citoyen, mardi 12 janvier")
        );
        assert_eq!(m.from, vec![(Some("Ville de arles".to_string()), FROM.to_string())]);
        assert_eq!(
            m.to,
            vec![(Some("Jeanne Martin".to_string()), "jeanne@exemple.fr".to_string())]
        );
        assert_eq!(m.header("Auto-Submitted"), vec!["auto-generated"]);
        let row = &rows_of(&app, Event::RegistrationConfirmed).await[0];
        assert_eq!(m.message_id.as_deref(), Some(row.message_id.as_str()));
        assert_eq!(smtp.messages()[0].from, FROM);
        assert_eq!(smtp.messages()[0].to, vec!["jeanne@exemple.fr".to_string()]);

        let text = m.text.as_deref().unwrap();
        assert!(text.starts_with("Bonjour Jeanne Martin,"), "{text}");
        assert!(text.contains("Votre inscription à l'atelier « Créer mon compte citoyen » est confirmée."));
        assert!(
            text.contains("Quand : mardi 12 janvier 2027 de 14\u{a0}h à 16\u{a0}h"),
            "{text}"
        );
        assert!(text.contains("Où : Médiathèque, Place Félix Rey, 13200 Arles"));
        assert!(text.contains("Téléphone du lieu : 04 90 49 39 39"));
        assert!(text.contains(&manage_url));
        let html = m.html.as_deref().unwrap();
        assert!(html.contains(&format!("href=\"{manage_url}\"")));
        assert!(html.contains("mardi 12 janvier 2027 de 14\u{a0}h à 16\u{a0}h"));

        let invite = invite_of(m);
        assert_eq!(invite.method.as_deref(), Some("REQUEST"));
        assert_eq!(invite.uid, expected_uid(&app, "registration", id).await);
        assert_eq!(invite.sequence, 0);
        assert_eq!(invite.status.as_deref(), Some("CONFIRMED"));
        assert_eq!(invite.dtstart, "20270112T130000Z");
        assert_eq!(invite.dtend, "20270112T150000Z");
        assert_eq!(invite.dtstamp, ics_time(row.created_at));
        assert_eq!(invite.summary, "Atelier « Créer mon compte citoyen »");
        assert_eq!(invite.location, "Médiathèque, Place Félix Rey, 13200 Arles");
        assert!(invite.description.contains(&manage_url));
        let attendee = invite.attendee.unwrap();
        assert!(attendee.contains("CN=Jeanne Martin"), "{attendee}");
        assert!(attendee.ends_with(":mailto:jeanne@exemple.fr"), "{attendee}");
        let organizer = invite.organizer.unwrap();
        assert!(organizer.contains("CN=Ville de arles"), "{organizer}");
        // Answers (a "Non" in the calendar, a reply) reach the organisation, not the no-reply
        // sender.
        assert!(organizer.ends_with(":mailto:contact@arles.example"), "{organizer}");
        assert!(invite.description.contains("n'annule pas"), "{}", invite.description);
        let reply_to = m.headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("Reply-To"));
        assert!(
            reply_to.is_some_and(|(_, v)| v.contains("<contact@arles.example>")),
            "{:?}",
            m.headers
        );

        // Sent once: recorded, and the stored copy keeps no working link.
        let row = &rows_of(&app, Event::RegistrationConfirmed).await[0];
        assert_eq!(row.status, OutboxStatus::Sent);
        assert_eq!(row.attempts, 1);
        assert_eq!(row.sent_at, Some(app.now()));
        assert_eq!(row.locked_by, None);
        assert!(!row.payload.contains(&token));
        let payload: Payload = serde_json::from_str(&row.payload).unwrap();
        assert_eq!(payload.manage_url, None);
        assert_eq!(payload.manage_key, None);
        // The pending reminders carry the key to rebuild the link from, never the token.
        assert!(rows_of(&app, Event::Reminder).await.iter().all(|r| {
            let p: Payload = serde_json::from_str(&r.payload).unwrap();
            p.manage_key.is_some() && !r.payload.contains(&token)
        }));

        // Nothing left to send, nothing sent twice.
        assert_eq!(drain(&app, &mailer).await, Default::default());
        assert_eq!(smtp.messages().len(), 1);
    }
);

mail_test!(
    async fn the_waiting_list_mail_gives_the_position_and_the_promotion_brings_the_invite(
        app: TestApp,
        smtp: TestSmtpServer,
    ) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 1, 8).await;
        let ana = json(app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await).await;
        let bob = json(app.register(f.session_id, "Bob", Some("bob@exemple.fr"), None).await).await;
        assert_eq!(bob["status"], "waitlisted");
        let mailer = mailer(&app);
        drain(&app, &mailer).await;

        let to_bob = mails_to(&smtp, "bob@exemple.fr");
        assert_eq!(to_bob.len(), 1);
        let waiting = &to_bob[0];
        assert_eq!(
            waiting.subject.as_deref(),
            Some("Liste d'attente : Créer mon compte citoyen, mardi 12 janvier")
        );
        let text = waiting.text.as_deref().unwrap();
        assert!(
            text.contains("vous êtes sur la liste d'attente, en position 1."),
            "{text}"
        );
        assert!(
            text.contains("Si une place se libère, vous recevrez aussitôt un e-mail de confirmation avec l'invitation")
        );
        assert!(waiting.calendar.is_none(), "no invite while waiting");
        assert!(waiting.attachments.is_empty());

        // Ana cancels with her link: her invite is withdrawn and Bob gets the seat.
        let resp = app
            .request(
                Method::DELETE,
                &format!("/api/v1/registrations/{}", ana["manage_token"].as_str().unwrap()),
                None,
                None,
            )
            .await;
        assert_eq!(resp.status(), 200);
        let report = drain(&app, &mailer).await;
        assert_eq!(report.sent, 2);

        let to_ana = mails_to(&smtp, "ana@exemple.fr");
        assert_eq!(to_ana.len(), 2);
        let (first, cancel) = (invite_of(&to_ana[0]), invite_of(&to_ana[1]));
        assert_eq!(
            to_ana[1].subject.as_deref(),
            Some("Inscription annulée : Créer mon compte citoyen, mardi 12 janvier")
        );
        assert_eq!(cancel.method.as_deref(), Some("CANCEL"));
        assert_eq!(cancel.status.as_deref(), Some("CANCELLED"));
        assert_eq!(cancel.uid, first.uid);
        assert_eq!((first.sequence, cancel.sequence), (0, 1));
        assert_eq!(cancel.dtstart, first.dtstart);
        assert!(
            to_ana[1]
                .text
                .as_deref()
                .unwrap()
                .contains("retire la séance de votre agenda")
        );

        let to_bob = mails_to(&smtp, "bob@exemple.fr");
        assert_eq!(to_bob.len(), 2);
        let promoted = &to_bob[1];
        assert_eq!(
            promoted.subject.as_deref(),
            Some("Une place s'est libérée : Créer mon compte citoyen, mardi 12 janvier")
        );
        let text = promoted.text.as_deref().unwrap();
        assert!(text.contains("Bonne nouvelle : une place s'est libérée."));
        // Made by Ana's cancellation, the promotion still carries Bob's own manage link.
        assert!(
            text.contains("Pour consulter ou annuler votre inscription :")
                && text.contains("http://127.0.0.1/inscription/"),
            "{text}"
        );
        let invite = invite_of(promoted);
        assert_eq!(invite.method.as_deref(), Some("REQUEST"));
        assert_eq!(
            invite.uid,
            expected_uid(&app, "registration", bob["id"].as_i64().unwrap()).await
        );
        assert_eq!(invite.sequence, 1);
        assert_eq!(invite.dtstart, "20270112T130000Z");
        assert!(invite.attendee.unwrap().ends_with(":mailto:bob@exemple.fr"));
    }
);

mail_test!(
    async fn a_moved_session_sends_an_update_with_the_old_and_new_time_and_the_same_uid(
        app: TestApp,
        smtp: TestSmtpServer,
    ) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 8).await;
        let reg = json(
            app.register(f.session_id, "Chloé", Some("chloe@exemple.fr"), None)
                .await,
        )
        .await;
        let mailer = mailer(&app);
        drain(&app, &mailer).await;

        // One day later, 10:00–12:00 in Paris.
        let starts = Utc.with_ymd_and_hms(2027, 1, 13, 9, 0, 0).unwrap();
        let resp = app
            .request(
                Method::PATCH,
                &format!("/api/v1/admin/sessions/{}", f.session_id),
                Some(&admin),
                Some(json!({"starts_at": starts.to_rfc3339(), "ends_at": (starts + Duration::hours(2)).to_rfc3339()})),
            )
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(drain(&app, &mailer).await.sent, 1);

        let mails = mails_to(&smtp, "chloe@exemple.fr");
        assert_eq!(mails.len(), 2);
        let moved = &mails[1];
        assert_eq!(
            moved.subject.as_deref(),
            Some("Séance modifiée : Créer mon compte citoyen, désormais mercredi 13 janvier")
        );
        let text = moved.text.as_deref().unwrap();
        assert!(
            text.contains("Ancien horaire : mardi 12 janvier 2027 à 14\u{a0}h"),
            "{text}"
        );
        assert!(text.contains("Nouvel horaire : mercredi 13 janvier 2027 de 10\u{a0}h à 12\u{a0}h"));
        assert!(text.contains("met à jour la séance dans votre agenda"));
        let (before, after) = (invite_of(&mails[0]), invite_of(moved));
        assert_eq!(after.method.as_deref(), Some("REQUEST"));
        assert_eq!(after.uid, before.uid);
        assert_eq!((before.sequence, after.sequence), (0, 1));
        assert_eq!(
            (after.dtstart.as_str(), after.dtend.as_str()),
            ("20270113T090000Z", "20270113T110000Z")
        );

        // The invite downloaded now is that same latest version.
        let token = reg["manage_token"].as_str().unwrap();
        let resp = app.get(&format!("/api/v1/registrations/{token}/invite.ics")).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "text/calendar; charset=utf-8");
        let download = parse_invite(&resp.text().await.unwrap());
        assert_eq!(download.uid, after.uid);
        assert_eq!(download.sequence, 1);
        assert_eq!(download.dtstart, after.dtstart);
        assert_eq!(download.method.as_deref(), Some("REQUEST"));
    }
);

mail_test!(
    async fn a_session_cancelled_by_staff_withdraws_the_invite_and_gives_the_reason(
        app: TestApp,
        smtp: TestSmtpServer,
    ) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 1, 8).await;
        app.register(f.session_id, "Driss", Some("driss@exemple.fr"), None)
            .await;
        app.register(f.session_id, "Eve <b>", Some("eve@exemple.fr"), None)
            .await;
        let mailer = mailer(&app);
        drain(&app, &mailer).await;
        let resp = app
            .admin_post(
                &admin,
                &format!("/api/v1/admin/sessions/{}/cancel", f.session_id),
                json!({"reason": "Animateur malade <script>alert(1)</script>"}),
            )
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(drain(&app, &mailer).await.sent, 2);

        let driss = mails_to(&smtp, "driss@exemple.fr");
        let cancelled = &driss[1];
        assert_eq!(
            cancelled.subject.as_deref(),
            Some("Séance annulée : Créer mon compte citoyen, mardi 12 janvier")
        );
        let text = cancelled.text.as_deref().unwrap();
        assert!(
            text.contains("prévue le mardi 12 janvier 2027 à 14\u{a0}h est annulée"),
            "{text}"
        );
        assert!(text.contains("Motif : Animateur malade <script>alert(1)</script>"));
        let html = cancelled.html.as_deref().unwrap();
        assert!(html.contains("Animateur malade &lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<script>"));
        let (first, last) = (invite_of(&driss[0]), invite_of(cancelled));
        assert_eq!(last.method.as_deref(), Some("CANCEL"));
        assert_eq!(last.status.as_deref(), Some("CANCELLED"));
        assert_eq!(last.uid, first.uid);
        assert_eq!(last.sequence, 1);
        assert!(last.description.contains("Animateur malade"));

        // Eve was waiting: a plain message, no invite to withdraw; her name is data in HTML too.
        let eve = mails_to(&smtp, "eve@exemple.fr");
        assert_eq!(eve.len(), 2);
        assert!(eve[1].calendar.is_none() && eve[1].attachments.is_empty());
        assert!(eve[1].html.as_deref().unwrap().contains("Bonjour Eve &lt;b&gt;,"));
        assert!(eve[1].text.as_deref().unwrap().contains("Motif : Animateur malade"));
    }
);

mail_test!(
    async fn a_resident_without_email_is_never_mailed_and_keeps_no_link_in_the_outbox(
        app: TestApp,
        smtp: TestSmtpServer,
    ) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 8).await;
        let body = json(app.register(f.session_id, "Gaston", None, Some("06 12 34 56 78")).await).await;
        let token = body["manage_token"].as_str().unwrap();
        let (mails, sms): (Vec<_>, Vec<_>) = outbox_rows(&app)
            .await
            .into_iter()
            .partition(|r| r.channel == entities::kinds::Channel::Email);
        assert!(!mails.is_empty());
        assert!(mails.iter().all(|r| r.status == OutboxStatus::NoEmail));
        assert!(mails.iter().all(|r| !r.payload.contains(token)));
        // A mobile and no e-mail: the messages go by SMS instead (see `sms.rs`).
        assert_eq!(sms.len(), mails.len());

        let mailer = mailer(&app);
        assert_eq!(drain(&app, &mailer).await.sent, 1, "the SMS confirmation");
        // Even at the reminders' due times.
        app.state.clock.advance(Duration::days(8));
        // By SMS, the first reminder (the second is not due yet); by e-mail, nothing.
        assert_eq!(drain(&app, &mailer).await.sent, 1);
        assert!(smtp.messages().is_empty());
        let rows = outbox_rows(&app).await;
        assert!(
            rows.iter()
                .filter(|r| r.channel == entities::kinds::Channel::Email)
                .all(|r| r.status == OutboxStatus::NoEmail)
        );
        // Once sent, no SMS row keeps the link.
        assert!(
            rows.iter()
                .filter(|r| r.status != OutboxStatus::Pending)
                .all(|r| !r.payload.contains(token))
        );
    }
);

mail_test!(
    async fn invites_can_be_downloaded_again_in_their_current_state(app: TestApp, smtp: TestSmtpServer) {
        let _ = &smtp;
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 1, 8).await;
        let ana = json(app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await).await;
        let bob = json(app.register(f.session_id, "Bob", Some("bob@exemple.fr"), None).await).await;
        let (ana_token, bob_token) = (
            ana["manage_token"].as_str().unwrap(),
            bob["manage_token"].as_str().unwrap(),
        );

        let resp = app.get(&format!("/api/v1/registrations/{ana_token}/invite.ics")).await;
        assert_eq!(resp.status(), 200);
        assert!(
            resp.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("invite.ics")
        );
        let live = parse_invite(&resp.text().await.unwrap());
        assert_eq!((live.method.as_deref(), live.sequence), (Some("REQUEST"), 0));
        assert!(live.attendee.unwrap().ends_with(":mailto:ana@exemple.fr"));

        // Waiting: nothing to put in a calendar yet.
        let resp = app.get(&format!("/api/v1/registrations/{bob_token}/invite.ics")).await;
        problem(resp, 409, "waitlisted").await;

        app.request(
            Method::DELETE,
            &format!("/api/v1/registrations/{ana_token}"),
            None,
            None,
        )
        .await;
        let resp = app.get(&format!("/api/v1/registrations/{ana_token}/invite.ics")).await;
        let gone = parse_invite(&resp.text().await.unwrap());
        assert_eq!(gone.method.as_deref(), Some("CANCEL"));
        assert_eq!(gone.status.as_deref(), Some("CANCELLED"));
        assert_eq!((gone.uid.as_str(), gone.sequence), (live.uid.as_str(), 1));

        // Bob was promoted by her cancellation: his invite exists now.
        let resp = app.get(&format!("/api/v1/registrations/{bob_token}/invite.ics")).await;
        let bob_invite = parse_invite(&resp.text().await.unwrap());
        assert_eq!(
            (bob_invite.method.as_deref(), bob_invite.sequence),
            (Some("REQUEST"), 1)
        );

        // Without an e-mail there is no ATTENDEE: the download is published, not requested
        // (RFC 5546), and once cancelled it stays published with STATUS:CANCELLED.
        let carl = json(app.register(f.session_id, "Carl", None, Some("06 12 34 56 78")).await).await;
        let carl_token = carl["manage_token"].as_str().unwrap();
        app.request(
            Method::DELETE,
            &format!("/api/v1/registrations/{carl_token}"),
            None,
            None,
        )
        .await;
        let resp = app.get(&format!("/api/v1/registrations/{carl_token}/invite.ics")).await;
        let text = resp.text().await.unwrap();
        let published = parse_invite(&text);
        assert_eq!(
            (published.method.as_deref(), published.status.as_deref()),
            (Some("PUBLISH"), Some("CANCELLED"))
        );
        assert!(published.attendee.is_none(), "{text}");

        for bad in ["not-a-token", &"A".repeat(43)] {
            let resp = app.get(&format!("/api/v1/registrations/{bad}/invite.ics")).await;
            problem(resp, 404, "not_found").await;
            let resp = app.get(&format!("/api/v1/appointments/{bad}/invite.ics")).await;
            problem(resp, 404, "not_found").await;
        }
    }
);

mail_test!(
    async fn an_appointment_is_confirmed_moved_and_cancelled_with_one_invite_updated_each_time(
        app: TestApp,
        smtp: TestSmtpServer,
    ) {
        let (_, admin) = app.organisation("arles").await;
        let (place, motif) = mediation_point(&app, &admin).await;
        // Tuesday 12 January 2027, 10:00 in Paris.
        let start = Utc.with_ymd_and_hms(2027, 1, 12, 9, 0, 0).unwrap();
        let resp = app
            .post(
                &format!("/api/v1/places/{place}/appointments"),
                json!({"motif": motif, "start": start.to_rfc3339(), "name": "Zoé Lefèvre", "email": "zoe@exemple.fr"}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let booked = json(resp).await;
        let token = booked["manage_token"].as_str().unwrap().to_string();
        let id = booked["id"].as_i64().unwrap();
        let mailer = mailer(&app);
        assert_eq!(drain(&app, &mailer).await.sent, 1);

        // Moved to 11:00 with the manage link, then cancelled with it.
        let resp = app
            .request(
                Method::PATCH,
                &format!("/api/v1/appointments/{token}"),
                None,
                Some(json!({"start": (start + Duration::hours(1)).to_rfc3339()})),
            )
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(drain(&app, &mailer).await.sent, 1);
        let resp = app
            .request(Method::DELETE, &format!("/api/v1/appointments/{token}"), None, None)
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(drain(&app, &mailer).await.sent, 1);

        let mails = mails_to(&smtp, "zoe@exemple.fr");
        assert_eq!(mails.len(), 3);
        let subjects: Vec<_> = mails.iter().map(|m| m.subject.clone().unwrap()).collect();
        assert_eq!(
            subjects,
            vec![
                "Rendez-vous confirmé : Aide CAF, mardi 12 janvier",
                "Rendez-vous déplacé : Aide CAF, désormais mardi 12 janvier",
                "Rendez-vous annulé : Aide CAF, mardi 12 janvier",
            ]
        );
        let text = mails[0].text.as_deref().unwrap();
        assert!(text.contains("Votre rendez-vous « Aide CAF » est confirmé."), "{text}");
        assert!(text.contains("Quand : mardi 12 janvier 2027 de 10\u{a0}h à 10\u{a0}h\u{a0}30"));
        assert!(text.contains("À apporter : Votre numéro d'allocataire et votre mot de passe CAF."));
        assert!(
            mails[1]
                .text
                .as_deref()
                .unwrap()
                .contains("Ancien horaire : mardi 12 janvier 2027 à 10\u{a0}h")
        );
        assert!(
            mails[1]
                .text
                .as_deref()
                .unwrap()
                .contains("Nouvel horaire : mardi 12 janvier 2027 de 11\u{a0}h à 11\u{a0}h\u{a0}30")
        );

        let invites: Vec<_> = mails.iter().map(invite_of).collect();
        let uid = expected_uid(&app, "appointment", id).await;
        assert!(invites.iter().all(|i| i.uid == uid));
        let shape: Vec<_> = invites
            .iter()
            .map(|i| (i.method.clone().unwrap(), i.sequence, i.dtstart.clone()))
            .collect();
        assert_eq!(
            shape,
            vec![
                ("REQUEST".to_string(), 0, "20270112T090000Z".to_string()),
                ("REQUEST".to_string(), 1, "20270112T100000Z".to_string()),
                ("CANCEL".to_string(), 2, "20270112T100000Z".to_string()),
            ]
        );
        assert!(invites[0].attendee.clone().unwrap().ends_with(":mailto:zoe@exemple.fr"));
        assert!(
            invites[0]
                .description
                .contains("À apporter : Votre numéro d'allocataire")
        );

        // The download says the same as the last mail.
        let resp = app.get(&format!("/api/v1/appointments/{token}/invite.ics")).await;
        assert_eq!(resp.status(), 200);
        let download = parse_invite(&resp.text().await.unwrap());
        assert_eq!(
            (download.method.as_deref(), download.uid.as_str(), download.sequence),
            (Some("CANCEL"), uid.as_str(), 2)
        );
    }
);

creneau_tests::db_test!(
    async fn two_databases_on_one_host_never_give_a_booking_the_same_calendar_uid(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 5, 3).await;
        let r = json(
            app.register(f.session_id, "Jeanne Martin", Some("jeanne@exemple.fr"), None)
                .await,
        )
        .await;
        let id = r["id"].as_i64().unwrap();
        let first = expected_uid(&app, "registration", id).await;

        // The same organisation made again on an empty database: same ids, same host.
        let other = creneau_tests::app::TestApp::spawn(creneau_tests::app::Backend::Sqlite)
            .await
            .unwrap();
        let (_, admin) = other.organisation("arles").await;
        let f = other.session_with(&admin, 5, 3).await;
        let r = json(
            other
                .register(f.session_id, "Jeanne Martin", Some("jeanne@exemple.fr"), None)
                .await,
        )
        .await;
        assert_eq!(r["id"].as_i64().unwrap(), id, "the same booking id");
        assert_ne!(expected_uid(&other, "registration", id).await, first);
    }
);

mail_test!(
    async fn a_plain_ascii_display_name_is_quoted_and_only_an_accented_one_is_encoded(
        app: TestApp,
        smtp: TestSmtpServer,
    ) {
        use sea_orm::{ActiveModelTrait, Set};
        let (org_id, admin) = app.organisation("arles").await;
        entities::organisation::ActiveModel {
            id: Set(org_id),
            name: Set("Ville d'Arles".into()),
            ..Default::default()
        }
        .update(&app.state.db)
        .await
        .unwrap();
        let f = app.session_with(&admin, 8, 8).await;
        for (name, email) in [
            ("Dupont, Jean \"Jo\"", "jo@exemple.fr"),
            ("Zoé Ferré", "zoe@exemple.fr"),
        ] {
            let resp = app.register(f.session_id, name, Some(email), None).await;
            assert_eq!(resp.status(), 201, "{name}");
        }
        drain(&app, &mailer(&app)).await;

        let mails = received(&smtp);
        let jo = mails
            .iter()
            .find(|m| m.to.iter().any(|(_, a)| a == "jo@exemple.fr"))
            .unwrap();
        // On the wire: RFC 5322 quoted strings, never an encoded word for plain ASCII.
        assert_eq!(jo.header("From"), vec![format!("\"Ville d'Arles\" <{FROM}>")]);
        assert_eq!(
            jo.header("To"),
            vec![r#""Dupont, Jean \"Jo\"" <jo@exemple.fr>"#.to_string()]
        );
        assert_eq!(
            jo.header("Reply-To"),
            vec!["\"Ville d'Arles\" <contact@arles.example>".to_string()]
        );
        // And read back as the names they are.
        assert_eq!(jo.from, vec![(Some("Ville d'Arles".to_string()), FROM.to_string())]);
        assert_eq!(
            jo.to,
            vec![(Some("Dupont, Jean \"Jo\"".to_string()), "jo@exemple.fr".to_string())]
        );

        let zoe = mails
            .iter()
            .find(|m| m.to.iter().any(|(_, a)| a == "zoe@exemple.fr"))
            .unwrap();
        let to = zoe.header("To")[0];
        assert!(to.starts_with("=?utf-8?"), "an accented name is RFC 2047-encoded: {to}");
        assert!(to.is_ascii(), "{to}");
        assert_eq!(
            zoe.to,
            vec![(Some("Zoé Ferré".to_string()), "zoe@exemple.fr".to_string())]
        );
    }
);
