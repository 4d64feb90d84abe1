//! The monthly budget of SMS segments: at the budget the next SMS is not sent and the person
//! is on "À appeler" with the reason, two workers racing never pass it, a new month starts
//! again, no budget is no limit; and the organisation's settings that hold it.
use chrono::{TimeZone, Utc};
use creneau::auth::Role;
use creneau::notifications::worker::{self, BatchReport, DeliveryOutcome};
use creneau_tests::{app::TestApp, db_test};
use entities::kinds::{Channel, OutboxStatus};
use entities::{outbox, sms_usage};
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::pages::Visitor;

const PASSWORD: &str = "mot-de-passe-solide";

/// Worker steps until nothing is due.
async fn drain(app: &TestApp) -> BatchReport {
    let mailer = worker::mailer(&app.state.settings).unwrap();
    let mut total = BatchReport::default();
    for _ in 0..1000 {
        match worker::try_deliver_batch(&app.state, &mailer, "budget-test-worker", 25)
            .await
            .expect("a worker step")
        {
            DeliveryOutcome::EmptyQueue => return total,
            DeliveryOutcome::Delivered(r) => {
                total.sent += r.sent;
                total.failed += r.failed;
                total.over_budget += r.over_budget;
            }
        }
    }
    panic!("the queue never emptied");
}

/// The organisation's settings with this budget (admin).
async fn set_budget(app: &TestApp, admin: &str, budget: Option<i32>) -> Value {
    let resp = app
        .request(
            Method::PUT,
            "/api/v1/admin/organisation",
            Some(admin),
            Some(json!({
                "name": "Ville d'Arles", "contact_email": "contact@arles.example",
                "contact_phone": "04 90 49 36 36", "sms_sender": "VilleArles", "sms_monthly_budget": budget
            })),
        )
        .await;
    assert_eq!(resp.status(), 200);
    json(resp).await
}

/// Segments counted for the organisation in `month` (`2027-01`).
async fn used(app: &TestApp, org: i32, month: &str) -> i32 {
    sms_usage::Entity::find_by_id((org, month.to_string()))
        .one(&app.state.db)
        .await
        .unwrap()
        .map_or(0, |u| u.segments)
}

async fn sms_rows(app: &TestApp) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::Channel.eq(Channel::Sms))
        .order_by_asc(outbox::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
}

/// The segments of every SMS written to the text files (what the gateway took).
fn segments_written(app: &TestApp) -> i32 {
    let Ok(dir) = std::fs::read_dir(&app.state.settings.sms_dir) else {
        return 0;
    };
    dir.map(|e| {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        let body = text.split_once("\n\n").unwrap().1;
        let body = body.strip_suffix('\n').unwrap_or(body);
        creneau::notifications::sms::gsm::segments(body) as i32
    })
    .sum()
}

db_test!(
    async fn at_the_budget_the_next_sms_is_not_sent_and_the_person_is_on_the_calls_list_with_the_reason(app: TestApp) {
        let (org, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 5, 3).await;
        let resp = app
            .register(f.session_id, "Jeanne Roux", None, Some("06 12 34 56 78"))
            .await;
        assert_eq!(resp.status(), 201);
        assert_eq!(drain(&app).await.sent, 1);
        let spent = used(&app, org, "2027-01").await;
        assert!(spent >= 1, "the confirmation is counted");
        assert_eq!(spent, segments_written(&app));

        // The budget is what the month already used: the cancellation cannot go.
        let settings = set_budget(&app, &admin, Some(spent)).await;
        assert_eq!(settings["sms_budget_reached"], true);
        let resp = app
            .admin_post(
                &admin,
                &format!("/api/v1/admin/sessions/{}/cancel", f.session_id),
                json!({"reason": "Animatrice malade"}),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let report = drain(&app).await;
        assert_eq!((report.sent, report.over_budget), (0, 1), "{report:?}");
        let stopped = sms_rows(&app)
            .await
            .into_iter()
            .find(|r| r.kind == entities::kinds::Event::SessionCancelled)
            .expect("the cancellation's SMS row");
        assert_eq!(stopped.status, OutboxStatus::OverBudget);
        assert_eq!(stopped.last_error.as_deref(), Some("budget SMS du mois atteint"));
        assert_eq!(
            used(&app, org, "2027-01").await,
            spent,
            "the counter did not pass the budget"
        );
        assert_eq!(segments_written(&app), spent);

        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let calls = v.get("/staff/a-appeler").await.body;
        assert!(calls.contains("Jeanne Roux"), "{calls}");
        assert!(calls.contains("budget SMS du mois atteint"), "{calls}");
        let warning =
            "Les SMS sont arrêtés jusqu&#x27;au 1er février : les personnes à prévenir sont dans « À appeler ».";
        let messages = v.get("/staff/messages").await.body;
        assert!(
            messages.contains(&format!("{spent} segment")) && messages.contains(&format!("sur {spent} ce mois-ci")),
            "{messages}"
        );
        assert!(messages.contains(warning), "{messages}");
        let page = v.get("/staff/reglages/organisation").await.body;
        assert!(page.contains(warning), "{page}");
    }
);

db_test!(
    async fn two_workers_racing_for_the_last_segments_never_pass_the_budget(app: TestApp) {
        let (org, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 10, 3).await;
        set_budget(&app, &admin, Some(5)).await;
        for i in 0..8 {
            let resp = app
                .register(
                    f.session_id,
                    &format!("Personne {i}"),
                    None,
                    Some(&format!("06 12 34 56 {:02}", 10 + i)),
                )
                .await;
            assert_eq!(resp.status(), 201);
        }
        let mailer = worker::mailer(&app.state.settings).unwrap();
        let (a, b) = tokio::join!(
            worker::try_deliver_batch(&app.state, &mailer, "worker-a", 4),
            worker::try_deliver_batch(&app.state, &mailer, "worker-b", 4),
        );
        let mut sent = 0;
        let mut stopped = 0;
        for outcome in [a.unwrap(), b.unwrap()] {
            if let DeliveryOutcome::Delivered(r) = outcome {
                sent += r.sent;
                stopped += r.over_budget;
            }
        }
        let rest = drain(&app).await;
        sent += rest.sent;
        stopped += rest.over_budget;
        assert_eq!(sent + stopped, 8);
        assert!(stopped > 0, "5 segments cannot carry 8 confirmations");
        let counted = used(&app, org, "2027-01").await;
        assert!(counted <= 5, "{counted} segments counted for a budget of 5");
        assert_eq!(counted, segments_written(&app), "the counter is what the gateway took");
        let over: Vec<_> = sms_rows(&app)
            .await
            .into_iter()
            .filter(|r| r.status == OutboxStatus::OverBudget)
            .collect();
        assert_eq!(over.len(), stopped);
    }
);

db_test!(
    async fn a_new_month_starts_the_count_again(app: TestApp) {
        let (org, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 5, 3).await;
        app.register(f.session_id, "Ana Lopez", None, Some("06 12 34 56 01"))
            .await;
        assert_eq!(drain(&app).await.sent, 1);
        let january = used(&app, org, "2027-01").await;
        set_budget(&app, &admin, Some(january)).await;
        app.register(f.session_id, "Bob Martin", None, Some("06 12 34 56 02"))
            .await;
        assert_eq!(drain(&app).await.over_budget, 1);

        // Monday 1 February 2027, 10:00 in Paris.
        app.state.clock.set(Utc.with_ymd_and_hms(2027, 2, 1, 9, 0, 0).unwrap());
        let admin = app.staff(org, "admin-fevrier@arles.example", Role::Admin).await;
        let g = app.session_with(&admin, 5, 3).await;
        app.register(g.session_id, "Chloé Petit", None, Some("06 12 34 56 03"))
            .await;
        let report = drain(&app).await;
        assert_eq!((report.sent, report.over_budget), (1, 0), "{report:?}");
        assert!(used(&app, org, "2027-02").await >= 1);
        assert_eq!(used(&app, org, "2027-01").await, january);
    }
);

db_test!(
    async fn without_a_budget_sms_are_never_stopped_and_still_counted_in_the_metrics(app: TestApp) {
        let (org, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 5, 3).await;
        for i in 0..3 {
            app.register(
                f.session_id,
                &format!("Personne {i}"),
                None,
                Some(&format!("06 12 34 56 {:02}", 20 + i)),
            )
            .await;
        }
        let report = drain(&app).await;
        assert_eq!((report.sent, report.over_budget), (3, 0));
        let counted = used(&app, org, "2027-01").await;
        assert!(counted >= 3);
        assert_eq!(counted, segments_written(&app));

        let metrics = app.get("/metrics").await.text().await.unwrap();
        assert!(
            metrics.contains(&format!(
                "creneau_sms_segments_total{{organisation=\"{org}\"}} {counted}"
            )),
            "{metrics}"
        );
        assert!(metrics.contains("# TYPE creneau_sms_segments_total counter"));
        assert!(!metrics.contains(&format!("creneau_sms_segment_budget{{organisation=\"{org}\"}}")));
        set_budget(&app, &admin, Some(500)).await;
        let metrics = app.get("/metrics").await.text().await.unwrap();
        assert!(
            metrics.contains(&format!("creneau_sms_segment_budget{{organisation=\"{org}\"}} 500")),
            "{metrics}"
        );
        assert!(!metrics.contains("Arles"), "no organisation names in the metrics");
    }
);

db_test!(
    async fn a_sender_name_of_twelve_letters_with_an_accent_or_empty_is_refused_in_french_and_nothing_changes(
        app: TestApp,
    ) {
        let (org, admin) = app.organisation("arles").await;
        let before = json(
            app.request(Method::GET, "/api/v1/admin/organisation", Some(&admin), None)
                .await,
        )
        .await;
        assert_eq!(before["sms_sender"], "Villedearle", "the letters of the name until set");
        for (sender, words) in [
            ("VilleDArlesX", "11 lettres ou chiffres au plus"),
            ("Arlés", "sans accent"),
            ("", "Indiquez le nom d'expéditeur des SMS"),
            ("   ", "Indiquez le nom d'expéditeur des SMS"),
        ] {
            let resp = app
                .request(
                    Method::PUT,
                    "/api/v1/admin/organisation",
                    Some(&admin),
                    Some(json!({
                        "name": "Ville d'Arles", "contact_email": "contact@arles.example",
                        "sms_sender": sender, "sms_monthly_budget": 100
                    })),
                )
                .await;
            assert_eq!(resp.status(), 422, "{sender:?}");
            let body = json(resp).await;
            assert_eq!(body["field"], "sms_sender", "{body}");
            assert!(body["message"].as_str().unwrap().contains(words), "{sender:?}: {body}");
        }
        let after = json(
            app.request(Method::GET, "/api/v1/admin/organisation", Some(&admin), None)
                .await,
        )
        .await;
        assert_eq!(after, before, "nothing changed");

        let coordinator = app.staff(org, "coordination@arles.example", Role::Coordinator).await;
        let read = app
            .request(Method::GET, "/api/v1/admin/organisation", Some(&coordinator), None)
            .await;
        assert_eq!(read.status(), 200);
        let refused = app
            .request(
                Method::PUT,
                "/api/v1/admin/organisation",
                Some(&coordinator),
                Some(json!({"name": "X", "contact_email": "x@exemple.fr", "sms_sender": "X"})),
            )
            .await;
        assert_eq!(refused.status(), 403);
    }
);
