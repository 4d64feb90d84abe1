//! The demo, whatever the day and hour it starts: today has a session under way and
//! appointments still to come, one session is cancelled (its people told or left to call),
//! one message has failed.
use chrono::{Duration, TimeZone};
use chrono_tz::Europe::Paris;
use creneau_tests::{app::TestApp, db_test};
use entities::kinds::{OutboxStatus, SessionStatus};
use entities::{appointment, outbox, session};
use sea_orm::EntityTrait;

use crate::pages::Visitor;

async fn seeded_at(app: &TestApp, local: (i32, u32, u32, u32, u32)) -> chrono::DateTime<chrono::Utc> {
    let (y, mo, d, h, mi) = local;
    let now = Paris.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap().to_utc();
    app.state.clock.set(now);
    creneau::demo::seed(&app.state).await.unwrap();
    now
}

async fn today(app: &TestApp, now: chrono::DateTime<chrono::Utc>) -> (Vec<session::Model>, Vec<appointment::Model>) {
    let day = now.with_timezone(&Paris).date_naive();
    let on_day = |at: chrono::DateTime<chrono::Utc>| at.with_timezone(&Paris).date_naive() == day;
    let sessions = session::Entity::find().all(&app.state.db).await.unwrap();
    let appointments = appointment::Entity::find().all(&app.state.db).await.unwrap();
    (
        sessions.into_iter().filter(|s| on_day(s.starts_at)).collect(),
        appointments.into_iter().filter(|a| on_day(a.starts_at)).collect(),
    )
}

db_test!(
    async fn a_demo_started_on_a_monday_morning_has_today_s_work_a_cancelled_session_and_a_failed_message(
        app: TestApp,
    ) {
        let now = seeded_at(&app, (2027, 1, 4, 9, 10)).await;
        let (sessions, appointments) = today(&app, now).await;
        assert!(
            sessions.iter().any(|s| s.starts_at <= now && s.ends_at > now),
            "a session under way"
        );
        assert_eq!(appointments.len(), 2, "{appointments:?}");
        assert!(appointments.iter().all(|a| a.starts_at >= now));

        let all = session::Entity::find().all(&app.state.db).await.unwrap();
        let cancelled: Vec<_> = all.iter().filter(|s| s.status == SessionStatus::Cancelled).collect();
        assert_eq!(cancelled.len(), 1);
        assert_eq!(cancelled[0].cancel_reason.as_deref(), Some("L'animatrice est malade."));
        let failed: Vec<_> = outbox::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.status == OutboxStatus::Failed)
            .collect();
        assert_eq!(failed.len(), 1);
        assert!(failed[0].last_error.as_deref().unwrap().contains("Adresse inconnue"));

        // The console shows them: the failed message, the person to call, the cancelled session.
        let v = Visitor::new(&app);
        v.sign_in(creneau::demo::DEMO_ADMIN_EMAIL, creneau::demo::DEMO_PASSWORD)
            .await;
        let messages = v.get("/staff/messages").await;
        assert!(messages.contains("Adresse inconnue"), "{}", messages.body);
        let calls = v.get("/staff/a-appeler").await;
        assert!(calls.contains("Henriette Pons"), "{}", calls.body);
        let page = v.get(&format!("/staff/seances/{}", cancelled[0].id)).await;
        assert!(page.contains("Louis Mercier"), "{}", page.body);
    }
);

db_test!(
    async fn a_demo_started_late_on_a_sunday_still_has_today_s_session_and_appointments(app: TestApp) {
        let now = seeded_at(&app, (2027, 1, 10, 21, 40)).await;
        let (sessions, appointments) = today(&app, now).await;
        assert!(!sessions.is_empty());
        assert!(!appointments.is_empty(), "an opening from 21:30 to 23:30 takes two");
        assert!(appointments.iter().all(|a| a.ends_at <= now + Duration::hours(2)));
    }
);

db_test!(
    async fn a_demo_started_just_before_midnight_seeds_without_an_opening_that_cannot_fit(app: TestApp) {
        let now = seeded_at(&app, (2027, 1, 5, 23, 20)).await;
        let (_, appointments) = today(&app, now).await;
        assert!(appointments.is_empty());
        assert_eq!(appointment::Entity::find().all(&app.state.db).await.unwrap().len(), 6);
    }
);

db_test!(
    async fn the_demo_s_sessions_at_a_mediation_point_take_its_desks_and_close_their_appointment_slots(app: TestApp) {
        use sea_orm::{ColumnTrait, QueryFilter};
        seeded_at(&app, (2027, 1, 4, 9, 10)).await;
        let point = entities::place::Entity::find()
            .filter(entities::place::Column::Name.eq("Maison publique de Trinquetaille"))
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        let at_point: Vec<_> = session::Entity::find()
            .filter(session::Column::PlaceId.eq(point.id))
            .all(&app.state.db)
            .await
            .unwrap();
        assert!(!at_point.is_empty(), "sessions at Trinquetaille");
        assert!(
            at_point.iter().all(|s| s.desks.as_deref() == Some("1,2")),
            "{at_point:?}"
        );
        // Elsewhere, no desk.
        let elsewhere = session::Entity::find()
            .filter(session::Column::PlaceId.ne(point.id))
            .all(&app.state.db)
            .await
            .unwrap();
        assert!(elsewhere.iter().all(|s| s.desks.is_none()));

        let caf = entities::motif::Entity::find()
            .filter(entities::motif::Column::Label.eq("CAF"))
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        let thursday = at_point.iter().min_by_key(|s| s.starts_at).unwrap();
        let (from, to) = (
            thursday.starts_at - Duration::hours(1),
            thursday.ends_at + Duration::hours(1),
        );
        let slots = crate::appointments::slots(&app, point.id, caf.id, from, to).await;
        let starts: Vec<chrono::DateTime<chrono::Utc>> = slots
            .iter()
            .map(|s| s["start"].as_str().unwrap().parse().unwrap())
            .collect();
        assert!(
            starts.iter().all(|s| *s < thursday.starts_at || *s >= thursday.ends_at),
            "no slot during the session: {starts:?}"
        );
        let booked = appointment::Entity::find().all(&app.state.db).await.unwrap();
        assert!(
            booked.iter().filter(|a| a.place_id == point.id).all(|a| at_point
                .iter()
                .all(|s| a.ends_at <= s.starts_at || a.starts_at >= s.ends_at)),
            "no appointment during a session"
        );
    }
);
