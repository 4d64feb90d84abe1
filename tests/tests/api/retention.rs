//! Retention: two years on, the daily step erases personal data and keeps the counts; a
//! booking a month younger than the limit is untouched; one instance runs it per day.
use chrono::Duration;
use creneau::notifications::worker;
use creneau::retention::{self, ERASED_NAME, RunOutcome};
use creneau_tests::db_test;
use entities::kinds::{BookingKind, OutboxStatus};
use entities::{appointment, outbox};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::appointments::{paris, point, z};
use crate::helpers::*;

async fn outbox_of(app: &creneau_tests::app::TestApp, kind: BookingKind, id: i32) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::BookingKind.eq(kind))
        .filter(outbox::Column::BookingId.eq(id))
        .all(&app.state.db)
        .await
        .unwrap()
}

db_test!(
    async fn two_years_on_the_daily_step_erases_personal_data_and_the_counts_stay_true(app: TestApp) {
        let p = point(&app, 1).await;
        let old = app.session_with(&p.admin, 5, 3).await;
        let young = app.session_with(&p.admin, 5, 3 + 40).await;
        let mut tokens = Vec::new();
        for (name, email, phone) in [
            ("Élodie Dupré", Some("elodie@exemple.fr"), None),
            ("Marc Aubert", None, Some("06 12 34 56 78")),
        ] {
            let r = json(app.register(old.session_id, name, email, phone).await).await;
            tokens.push(r["manage_token"].as_str().unwrap().to_string());
        }
        let cancel = app
            .request(
                reqwest::Method::DELETE,
                &format!("/api/v1/registrations/{}", tokens[1]),
                None,
                None,
            )
            .await;
        assert!(cancel.status().is_success());
        assert_eq!(
            app.register(young.session_id, "Élodie Dupré", Some("elodie@exemple.fr"), None)
                .await
                .status(),
            201
        );
        let resp = app
            .post(
                &format!("/api/v1/places/{}/appointments", p.place),
                json!({"motif": p.motif, "start": z(paris(2027, 1, 5, 10, 0)), "name": "Zoé Martin",
                       "email": "zoe@exemple.fr", "note": "Mon fils viendra", "accessibility_needs": "Fauteuil"}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let mailer = worker::mailer(&app.state.settings).unwrap();
        while let worker::DeliveryOutcome::Delivered(_) =
            worker::try_deliver_batch(&app.state, &mailer, "retention-test", 50)
                .await
                .unwrap()
        {}
        let before = registrations(&app, old.session_id).await;
        let statuses: Vec<_> = before
            .iter()
            .map(|r| (r.status, r.attendance, r.booking_code.clone()))
            .collect();
        let sent_before = outbox_of(&app, BookingKind::Registration, before[0].id)
            .await
            .iter()
            .filter(|o| o.status == OutboxStatus::Sent)
            .count();
        assert!(sent_before > 0);

        // A text a resident sent back the same day: its number and words go too.
        use sea_orm::ActiveModelTrait;
        entities::sms_reply::ActiveModel {
            organisation_id: sea_orm::Set(p.org),
            phone: sea_orm::Set("+33612345678".into()),
            body: sea_orm::Set("Je serai en retard".into()),
            received_at: sea_orm::Set(app.now()),
            ..Default::default()
        }
        .insert(&app.state.db)
        .await
        .unwrap();

        // Two years and a day after the old session; the young one is 40 days later.
        let old_start = session_row(&app, old.session_id).await.starts_at;
        app.state
            .clock
            .set(old_start + chrono::Months::new(24) + Duration::days(1));
        let RunOutcome::Ran(erased) = retention::run_if_due(&app.state).await.unwrap() else {
            panic!("the first run of the day runs");
        };
        assert_eq!((erased.registrations, erased.appointments), (2, 1));
        assert!(
            entities::sms_reply::Entity::find()
                .all(&app.state.db)
                .await
                .unwrap()
                .is_empty()
        );

        let after = registrations(&app, old.session_id).await;
        assert_eq!(after.len(), before.len(), "rows kept");
        for r in &after {
            assert_eq!(r.name, ERASED_NAME);
            assert_eq!(
                (r.email.clone(), r.email_key.clone(), r.phone_key.clone()),
                (None, None, None)
            );
            assert_eq!(r.phone.as_deref().unwrap_or_default(), "", "cleared");
            assert_eq!(r.name_key, "");
            assert!(r.erased_at.is_some());
            assert!(r.manage_key.is_none());
        }
        let kept: Vec<_> = after
            .iter()
            .map(|r| (r.status, r.attendance, r.booking_code.clone()))
            .collect();
        assert_eq!(kept, statuses, "statuses, attendance and codes unchanged");
        let rows = outbox_of(&app, BookingKind::Registration, after[0].id).await;
        assert_eq!(
            rows.iter().filter(|o| o.status == OutboxStatus::Sent).count(),
            sent_before
        );
        for o in &rows {
            assert_eq!(o.recipient_name, ERASED_NAME);
            assert!(o.recipient_email.is_none() && o.recipient_phone.is_none());
            assert!(!o.payload.contains("elodie"), "{}", o.payload);
            let v: serde_json::Value = serde_json::from_str(&o.payload).unwrap();
            assert!(v["manage_key"].is_null() && v["booking_code"].is_null());
            assert!(v["event"].is_string(), "the kind of message stays");
        }
        assert_eq!(
            app.get(&format!("/api/v1/registrations/{}", tokens[0])).await.status(),
            404,
            "the manage link is dead"
        );

        let a = appointment::Entity::find().one(&app.state.db).await.unwrap().unwrap();
        assert_eq!(a.name, ERASED_NAME);
        assert!(a.note.is_none() && a.accessibility_needs.is_none() && a.email.is_none() && a.erased_at.is_some());
        assert_eq!(a.status, entities::kinds::AppointmentStatus::Booked, "the status stays");

        let young_rows = registrations(&app, young.session_id).await;
        assert_eq!(
            young_rows[0].name, "Élodie Dupré",
            "a month younger than the limit: untouched"
        );
        assert_eq!(young_rows[0].email.as_deref(), Some("elodie@exemple.fr"));
        assert!(young_rows[0].erased_at.is_none());

        // Once a day, whichever instance asks.
        assert_eq!(retention::run_if_due(&app.state).await.unwrap(), RunOutcome::NotDue);
        app.state.clock.advance(Duration::hours(25));
        assert_eq!(
            retention::run_if_due(&app.state).await.unwrap(),
            RunOutcome::Ran(retention::Erased::default())
        );
        // The erased registration no longer counts as a person: the same person may book again.
        assert!(!registrations(&app, young.session_id).await.is_empty());
    }
);

db_test!(
    async fn a_resident_erases_their_data_once_the_booking_is_cancelled_and_the_link_dies(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 5, 3).await;
        let r = json(
            app.register(f.session_id, "Élodie Dupré", Some("elodie@exemple.fr"), None)
                .await,
        )
        .await;
        let token = r["manage_token"].as_str().unwrap().to_string();
        let v = crate::pages::Visitor::new(&app);
        let manage = format!("/inscription/{token}");
        assert!(
            !v.get(&manage).await.contains("Effacer mes données"),
            "still to come: cancel first"
        );
        assert_eq!(v.get(&format!("{manage}/effacer")).await.location(), manage);

        let cancel = app
            .request(
                reqwest::Method::DELETE,
                &format!("/api/v1/registrations/{token}"),
                None,
                None,
            )
            .await;
        assert!(cancel.status().is_success());
        let page = v.get(&manage).await;
        assert!(page.contains("Effacer mes données"), "{}", page.body);
        // Without the CSRF token nothing happens.
        assert_eq!(
            v.post(&format!("{manage}/effacer"), &[]).await.status,
            reqwest::StatusCode::FORBIDDEN
        );
        assert_eq!(registrations(&app, f.session_id).await[0].name, "Élodie Dupré");
        let done = v
            .submit(&format!("{manage}/effacer"), &format!("{manage}/effacer"), &[])
            .await;
        assert_eq!(done.status, reqwest::StatusCode::OK, "{}", done.body);
        assert!(done.contains("Vos données sont effacées"));
        let r = &registrations(&app, f.session_id).await[0];
        assert_eq!((r.name.as_str(), r.email.as_deref()), (ERASED_NAME, None));
        assert_eq!(v.get(&manage).await.status, reqwest::StatusCode::NOT_FOUND);
    }
);

db_test!(
    async fn staff_find_a_person_and_erase_every_booking_of_theirs_and_only_theirs(app: TestApp) {
        let p = point(&app, 1).await;
        let first = app.session_with(&p.admin, 5, 3).await;
        let second = app.session_with(&p.admin, 5, 10).await;
        for (s, name) in [(first, "Élodie Dupré"), (second, "elodie dupre"), (first, "Paul Dupré")] {
            assert_eq!(
                app.register(s.session_id, name, Some("famille@exemple.fr"), None)
                    .await
                    .status(),
                201
            );
        }
        let resp = crate::appointments::book(
            &app,
            p.place,
            p.motif,
            paris(2027, 1, 5, 10, 0),
            "Élodie DUPRÉ",
            Some("famille@exemple.fr"),
            None,
        )
        .await;
        assert_eq!(resp.status(), 201);
        let elodie = registrations(&app, first.session_id).await[0].id;

        let v = crate::pages::Visitor::new(&app);
        v.sign_in("admin@arles.example", "mot-de-passe-solide").await;
        let found = v.get("/staff/personnes?q=famille%40exemple.fr").await;
        assert_eq!(found.status, reqwest::StatusCode::OK, "{}", found.body);
        assert_eq!(
            found.body.matches("Effacer les données de cette personne").count(),
            4,
            "{}",
            found.body
        );
        let by_name = v.get("/staff/personnes?q=elodie+dupre").await;
        assert_eq!(
            by_name.body.matches("class=\"card-title\"").count(),
            3,
            "{}",
            by_name.body
        );

        let confirm = format!("/staff/personnes/effacer?type=inscription&id={elodie}");
        let page = v.get(&confirm).await;
        assert_eq!(
            page.body.matches("<li>Inscription").count() + page.body.matches("<li>Rendez-vous").count(),
            3,
            "{}",
            page.body
        );
        let done = v
            .submit(
                &confirm,
                "/staff/personnes/effacer",
                &[("type", "inscription"), ("id", &elodie.to_string())],
            )
            .await;
        assert_eq!(done.location(), "/staff/personnes?fait=efface");
        let all: Vec<_> = [
            registrations(&app, first.session_id).await,
            registrations(&app, second.session_id).await,
        ]
        .concat();
        let names: Vec<&str> = all.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names.iter().filter(|n| **n == ERASED_NAME).count(), 2);
        assert!(names.contains(&"Paul Dupré"), "the same e-mail, another person: kept");
        let a = appointment::Entity::find().one(&app.state.db).await.unwrap().unwrap();
        assert_eq!(a.name, ERASED_NAME);

        // A facilitator may search but not erase; another organisation's booking is not found.
        app.staff(p.org, "animatrice@arles.example", creneau::auth::Role::Facilitator)
            .await;
        let f = crate::pages::Visitor::new(&app);
        f.sign_in("animatrice@arles.example", "mot-de-passe-solide").await;
        let paul = all.iter().find(|r| r.name == "Paul Dupré").unwrap().id.to_string();
        let csrf = f.get("/staff/personnes").await.csrf();
        let refused = f
            .post(
                "/staff/personnes/effacer",
                &[("csrf", &csrf), ("type", "inscription"), ("id", &paul)],
            )
            .await;
        assert_eq!(refused.status, reqwest::StatusCode::FORBIDDEN);
        let (_, other) = app.organisation("tarascon").await;
        let _ = other;
        app.staff(p.org + 1, "coord@tarascon.example", creneau::auth::Role::Coordinator)
            .await;
        let t = crate::pages::Visitor::new(&app);
        t.sign_in("coord@tarascon.example", "mot-de-passe-solide").await;
        assert_eq!(
            t.get(&format!("/staff/personnes/effacer?type=inscription&id={paul}"))
                .await
                .status,
            reqwest::StatusCode::NOT_FOUND
        );
        assert!(!t.get("/staff/personnes?q=famille%40exemple.fr").await.contains("Paul"));
    }
);
