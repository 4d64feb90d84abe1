//! Planning sessions through the admin API: no start in the past, warnings to confirm (a
//! public holiday at a place closed on holidays, two sessions at one place at once), desks
//! of a mediation point taken out of the appointment slots, sessions refused over
//! appointments, and a series that sums up what it did.
use chrono::{DateTime, Duration, Utc};
use creneau_tests::{app::TestApp, db_test};
use entities::session;
use reqwest::Method;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::{appointments::*, helpers::*};

/// A workshop of the organisation; answers its id.
pub async fn workshop(app: &TestApp, admin: &str) -> i32 {
    let resp = app
        .admin_post(
            admin,
            "/api/v1/admin/workshops",
            json!({
                "title": "Créer mon compte citoyen", "summary": "Pas à pas", "description": "Atelier",
                "level": "Débutant", "audience": "Adultes", "default_duration_minutes": 120, "default_capacity": 8
            }),
        )
        .await;
    assert_eq!(resp.status(), 201, "workshop");
    json(resp).await["id"].as_i64().unwrap() as i32
}

/// A library; `closed_on_holidays` as asked. Answers its id.
pub async fn library(app: &TestApp, admin: &str, closed_on_holidays: bool) -> i32 {
    let resp = app
        .admin_post(
            admin,
            "/api/v1/admin/places",
            json!({
                "name": "Médiathèque", "kind": "library", "address": "Place Félix Rey",
                "postal_code": "13200", "city": "Arles", "close_on_public_holidays": closed_on_holidays
            }),
        )
        .await;
    assert_eq!(resp.status(), 201, "place");
    json(resp).await["id"].as_i64().unwrap() as i32
}

/// POSTs a session from `start` to `end` with `extra` fields merged in.
pub async fn create(
    app: &TestApp,
    admin: &str,
    workshop: i32,
    place: i32,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    extra: Value,
) -> reqwest::Response {
    let mut body = json!({
        "workshop_id": workshop, "place_id": place, "starts_at": z(start), "ends_at": z(end)
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.admin_post(admin, "/api/v1/admin/sessions", body).await
}

/// On Monday 1 March 2027 (Easter Monday is on 29 March), a one-desk mediation point with a
/// session on Monday 15 March 15:00–17:00 and Jeanne Martin's appointment on Monday 22 March
/// at 14:30; answers the point and the workshop.
pub async fn march_with_a_session_and_an_appointment(app: &TestApp) -> (Point, i32) {
    app.state.clock.set(paris(2027, 3, 1, 9, 0));
    let p = point(app, 1).await;
    let w = workshop(app, &p.admin).await;
    let (start, end) = (paris(2027, 3, 15, 15, 0), paris(2027, 3, 15, 17, 0));
    assert_eq!(
        create(app, &p.admin, w, p.place, start, end, json!({})).await.status(),
        201
    );
    booked(
        app,
        &p,
        paris(2027, 3, 22, 14, 30),
        "Jeanne Martin",
        "jeanne@exemple.fr",
    )
    .await;
    (p, w)
}

/// A two-desk mediation point and its workshop, with Jeanne Martin's appointment on Tuesday
/// 5 January 2027 at 14:30; answers them and her desk.
pub async fn point_with_jeanne_at_half_past_two(app: &TestApp) -> (Point, i32, i32) {
    let p = point(app, 2).await;
    let w = workshop(app, &p.admin).await;
    booked(app, &p, paris(2027, 1, 5, 14, 30), "Jeanne Martin", "jeanne@exemple.fr").await;
    let desk = appointments(app).await[0].desk;
    (p, w, desk)
}

async fn session_count(app: &TestApp) -> usize {
    session::Entity::find().all(&app.state.db).await.unwrap().len()
}

/// The JSON problem of `resp`, checked to have `status` and `code`.
async fn problem_body(resp: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(resp.status().as_u16(), status, "status");
    let body = json(resp).await;
    assert_eq!(body["code"], code, "{body}");
    body
}

async fn staff_slots(app: &TestApp, p: &Point, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Value> {
    let resp = app
        .request(
            Method::GET,
            &format!(
                "/api/v1/admin/places/{}/slots?motif={}&from={}&to={}",
                p.place,
                p.motif,
                z(from),
                z(to)
            ),
            Some(&p.admin),
            None,
        )
        .await;
    assert_eq!(resp.status(), 200, "staff slots");
    json(resp).await["slots"].as_array().unwrap().clone()
}

db_test!(
    async fn a_session_starting_in_the_past_is_refused_and_nothing_is_created(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let (w, place) = (workshop(&app, &admin).await, library(&app, &admin, true).await);
        let start = app.now() - Duration::hours(1);
        let body = problem_body(
            create(&app, &admin, w, place, start, start + Duration::hours(2), json!({})).await,
            422,
            "validation",
        )
        .await;
        assert_eq!(body["field"], "starts_at");
        assert!(body["message"].as_str().unwrap().contains("dans le passé"), "{body}");
        assert_eq!(session_count(&app).await, 0);
    }
);

db_test!(
    async fn a_session_on_a_public_holiday_at_a_place_closed_on_holidays_waits_for_a_confirmation(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let w = workshop(&app, &admin).await;
        let closed = library(&app, &admin, true).await;
        // Thursday 6 May 2027 is Ascension (Easter 28 March + 39 days).
        let (start, end) = (paris(2027, 5, 6, 14, 0), paris(2027, 5, 6, 16, 0));
        let body = problem_body(
            create(&app, &admin, w, closed, start, end, json!({})).await,
            409,
            "planning_warnings",
        )
        .await;
        assert_eq!(body["details"][0]["code"], "public_holiday", "{body}");
        let text = body["details"][0]["message"].as_str().unwrap();
        assert!(
            text.contains("jeudi 6 mai 2027") && text.contains("Ascension"),
            "{text}"
        );
        assert_eq!(session_count(&app).await, 0, "nothing created before the confirmation");

        let forced = create(&app, &admin, w, closed, start, end, json!({"confirm_warnings": true})).await;
        assert_eq!(forced.status(), 201);
        assert_eq!(session_count(&app).await, 1);

        // A place open on holidays is not warned.
        let open = library(&app, &admin, false).await;
        assert_eq!(create(&app, &admin, w, open, start, end, json!({})).await.status(), 201);
    }
);

db_test!(
    async fn a_session_overlapping_another_at_the_same_place_is_a_warning_and_end_to_end_is_not(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let w = workshop(&app, &admin).await;
        let place = library(&app, &admin, true).await;
        let other_place = library(&app, &admin, true).await;
        let at = |h| paris(2027, 1, 12, h, 0);
        assert_eq!(
            create(&app, &admin, w, place, at(14), at(16), json!({})).await.status(),
            201
        );

        let body = problem_body(
            create(&app, &admin, w, place, at(15), at(17), json!({})).await,
            409,
            "planning_warnings",
        )
        .await;
        assert_eq!(body["details"][0]["code"], "overlap", "{body}");
        let text = body["details"][0]["message"].as_str().unwrap();
        assert!(
            text.contains("Créer mon compte citoyen") && text.contains("de 14\u{a0}h à 16\u{a0}h"),
            "{text}"
        );
        assert!(body["message"].as_str().unwrap().starts_with("À vérifier"), "{body}");

        assert_eq!(
            create(&app, &admin, w, place, at(16), at(17), json!({})).await.status(),
            201,
            "end to end"
        );
        assert_eq!(
            create(&app, &admin, w, other_place, at(15), at(17), json!({}))
                .await
                .status(),
            201
        );
        let forced = create(
            &app,
            &admin,
            w,
            place,
            at(15),
            at(17),
            json!({"confirm_warnings": true}),
        )
        .await;
        assert_eq!(forced.status(), 201);
        assert_eq!(session_count(&app).await, 4);

        // A cancelled session is no longer in the way.
        let cancelled = json(create(&app, &admin, w, place, at(9), at(10), json!({})).await).await;
        app.admin_post(
            &admin,
            &format!("/api/v1/admin/sessions/{}/cancel", cancelled["id"]),
            json!({}),
        )
        .await;
        assert_eq!(
            create(&app, &admin, w, place, at(9), at(10), json!({})).await.status(),
            201
        );
    }
);

db_test!(
    async fn a_session_at_a_mediation_point_takes_its_desks_out_of_the_public_and_staff_slots(app: TestApp) {
        let p = point(&app, 2).await;
        let w = workshop(&app, &p.admin).await;
        // Tuesday 5 January: both desks free at 14:00.
        let (start, end) = (paris(2027, 1, 5, 14, 0), paris(2027, 1, 5, 16, 0));
        let day = (paris(2027, 1, 5, 13, 0), paris(2027, 1, 5, 18, 0));
        assert_eq!(
            slot_at(&slots(&app, p.place, p.motif, day.0, day.1).await, start).unwrap()["free_desks"],
            2
        );

        // On desk 2 only: one desk left for appointments meanwhile.
        let one = create(&app, &p.admin, w, p.place, start, end, json!({"desks": [2]})).await;
        assert_eq!(one.status(), 201);
        assert_eq!(json(one).await["desks"], json!([2]));
        let public = slots(&app, p.place, p.motif, day.0, day.1).await;
        assert_eq!(slot_at(&public, start).unwrap()["free_desks"], 1);
        assert_eq!(
            slot_at(&public, paris(2027, 1, 5, 16, 0)).unwrap()["free_desks"],
            2,
            "after the session"
        );

        // Wednesday 6 January, all desks by default: no slot from 14:00 to 16:00, public or staff.
        let (start, end) = (paris(2027, 1, 6, 14, 0), paris(2027, 1, 6, 16, 0));
        let all = create(&app, &p.admin, w, p.place, start, end, json!({})).await;
        assert_eq!(json(all).await["desks"], json!([1, 2]));
        let day = (paris(2027, 1, 6, 13, 0), paris(2027, 1, 6, 18, 0));
        for list in [
            slots(&app, p.place, p.motif, day.0, day.1).await,
            staff_slots(&app, &p, day.0, day.1).await,
        ] {
            for half_hour in 0..4 {
                let at = start + Duration::minutes(30 * half_hour);
                assert!(slot_at(&list, at).is_none(), "slot at {at} under the session");
            }
            assert!(slot_at(&list, paris(2027, 1, 6, 13, 30)).is_some());
            assert!(slot_at(&list, end).is_some());
        }
        // And booking it anyway is refused.
        let resp = book(&app, p.place, p.motif, start, "Jeanne", Some("jeanne@exemple.fr"), None).await;
        assert_eq!(resp.status(), 409, "the slot is taken by the session");

        // A cancelled session gives its desks back.
        let id = session::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap()
            .last()
            .unwrap()
            .id;
        app.admin_post(&p.admin, &format!("/api/v1/admin/sessions/{id}/cancel"), json!({}))
            .await;
        assert!(slot_at(&slots(&app, p.place, p.motif, day.0, day.1).await, start).is_some());
    }
);

db_test!(
    async fn a_session_over_appointments_on_its_desks_is_refused_with_their_times_and_desks_but_no_names(app: TestApp) {
        let (p, w, desk) = point_with_jeanne_at_half_past_two(&app).await;
        let (start, end) = (paris(2027, 1, 5, 14, 0), paris(2027, 1, 5, 16, 0));

        let resp = create(
            &app,
            &p.admin,
            w,
            p.place,
            start,
            end,
            json!({"confirm_warnings": true}),
        )
        .await;
        let body = problem_body(resp, 409, "appointments_in_the_way").await;
        assert_eq!(
            body["details"],
            json!([{
                "code": "appointment",
                "message": format!("mardi 5 janvier 2027 de 14\u{a0}h\u{a0}30 à 15\u{a0}h, poste {desk}")
            }])
        );
        assert!(
            !body.to_string().contains("Jeanne"),
            "no resident name in the API: {body}"
        );
        assert_eq!(session_count(&app).await, 0);

        // On the other desk, it fits.
        let other = 3 - desk;
        let resp = create(&app, &p.admin, w, p.place, start, end, json!({"desks": [other]})).await;
        assert_eq!(resp.status(), 201);

        // A desk the place does not have, or desks at a library, are refused.
        let body = problem_body(
            create(&app, &p.admin, w, p.place, start, end, json!({"desks": [3]})).await,
            422,
            "validation",
        )
        .await;
        assert_eq!(body["field"], "desks");
        let lib = library(&app, &p.admin, true).await;
        let body = problem_body(
            create(&app, &p.admin, w, lib, start, end, json!({"desks": [1]})).await,
            422,
            "validation",
        )
        .await;
        assert_eq!(body["field"], "desks");
    }
);

db_test!(
    async fn a_series_skips_holidays_and_dates_over_appointments_reports_overlaps_and_sums_it_up(app: TestApp) {
        let (p, w) = march_with_a_session_and_an_appointment(&app).await;

        let series = json!({
            "workshop_id": w, "place_id": p.place, "weekday": "monday", "start_time": "14:00",
            "end_time": "16:00", "first_date": "2027-03-08", "last_date": "2027-04-05"
        });
        let resp = app
            .admin_post(&p.admin, "/api/v1/admin/sessions/series", series.clone())
            .await;
        assert_eq!(resp.status(), 201);
        let body = json(resp).await;
        let dates: Vec<&str> = body["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| &s["starts_at"].as_str().unwrap()[..10])
            .collect();
        assert_eq!(dates, vec!["2027-03-08", "2027-03-15", "2027-04-05"]);
        assert_eq!(
            body["skipped"],
            json!([{"date": "2027-03-29", "holiday": "Lundi de Pâques"}])
        );
        assert_eq!(body["overlaps"][0]["date"], "2027-03-15");
        assert_eq!(body["skipped_for_appointments"][0]["date"], "2027-03-22");
        assert!(!body.to_string().contains("Jeanne"), "{body}");
        assert_eq!(
            body["summary"],
            "3 séances créées, 1 jour férié sauté, 1 chevauchement à vérifier, 1 date sautée (rendez-vous déjà pris)."
        );

        // Keeping the holiday at a place closed on holidays asks for a confirmation.
        let mut keep = series.clone();
        keep["skip_public_holidays"] = json!(false);
        keep["first_date"] = json!("2027-03-29");
        keep["start_time"] = json!("09:00");
        keep["end_time"] = json!("10:00");
        let body = problem_body(
            app.admin_post(&p.admin, "/api/v1/admin/sessions/series", keep.clone())
                .await,
            409,
            "planning_warnings",
        )
        .await;
        assert!(
            body["details"][0]["message"]
                .as_str()
                .unwrap()
                .contains("Lundi de Pâques")
        );
        keep["confirm_warnings"] = json!(true);
        let body = json(app.admin_post(&p.admin, "/api/v1/admin/sessions/series", keep).await).await;
        assert_eq!(body["summary"], "2 séances créées.");

        // A series starting in the past is refused.
        let mut past = series;
        past["first_date"] = json!("2027-02-22");
        let body = problem_body(
            app.admin_post(&p.admin, "/api/v1/admin/sessions/series", past).await,
            422,
            "validation",
        )
        .await;
        assert_eq!(body["field"], "first_date");
    }
);

/// PATCHes session `id` with `body`.
async fn edit(app: &TestApp, admin: &str, id: i64, body: Value) -> reqwest::Response {
    app.request(
        Method::PATCH,
        &format!("/api/v1/admin/sessions/{id}"),
        Some(admin),
        Some(body),
    )
    .await
}

async fn starts_at(app: &TestApp, id: i64) -> DateTime<Utc> {
    session::Entity::find_by_id(id as i32)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .starts_at
}

db_test!(
    async fn editing_a_session_to_start_in_the_past_is_refused_and_changes_nothing(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let (w, place) = (workshop(&app, &admin).await, library(&app, &admin, true).await);
        let (start, end) = (paris(2027, 1, 12, 14, 0), paris(2027, 1, 12, 16, 0));
        let id = json(create(&app, &admin, w, place, start, end, json!({})).await).await["id"]
            .as_i64()
            .unwrap();
        let past = app.now() - Duration::hours(1);
        let body = problem_body(
            edit(
                &app,
                &admin,
                id,
                json!({"starts_at": z(past), "ends_at": z(past + Duration::hours(2))}),
            )
            .await,
            422,
            "validation",
        )
        .await;
        assert_eq!(body["field"], "starts_at");
        assert!(body["message"].as_str().unwrap().contains("dans le passé"), "{body}");
        assert_eq!(starts_at(&app, id).await, start, "nothing changed");
    }
);

db_test!(
    async fn editing_a_session_over_an_appointment_on_its_desks_is_refused_with_its_time_and_desk_but_no_name(
        app: TestApp,
    ) {
        let (p, w, desk) = point_with_jeanne_at_half_past_two(&app).await;
        let (start, end) = (paris(2027, 1, 5, 10, 0), paris(2027, 1, 5, 11, 0));
        let id = json(create(&app, &p.admin, w, p.place, start, end, json!({})).await).await["id"]
            .as_i64()
            .unwrap();
        let afternoon = json!({
            "starts_at": z(paris(2027, 1, 5, 14, 0)), "ends_at": z(paris(2027, 1, 5, 16, 0)),
            "confirm_warnings": true
        });
        let body = problem_body(
            edit(&app, &p.admin, id, afternoon.clone()).await,
            409,
            "appointments_in_the_way",
        )
        .await;
        assert_eq!(
            body["details"],
            json!([{
                "code": "appointment",
                "message": format!("mardi 5 janvier 2027 de 14\u{a0}h\u{a0}30 à 15\u{a0}h, poste {desk}")
            }])
        );
        assert!(!body.to_string().contains("Jeanne"), "no resident name: {body}");
        assert_eq!(starts_at(&app, id).await, start, "nothing changed");

        // On the other desk only, it fits.
        let mut other = afternoon;
        other["desks"] = json!([3 - desk]);
        let resp = edit(&app, &p.admin, id, other).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(json(resp).await["desks"], json!([3 - desk]));
        assert_eq!(starts_at(&app, id).await, paris(2027, 1, 5, 14, 0));
    }
);

db_test!(
    async fn editing_a_session_onto_a_public_holiday_needs_a_confirmation_then_saves(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let (w, place) = (workshop(&app, &admin).await, library(&app, &admin, true).await);
        let (start, end) = (paris(2027, 5, 5, 14, 0), paris(2027, 5, 5, 16, 0));
        let id = json(create(&app, &admin, w, place, start, end, json!({})).await).await["id"]
            .as_i64()
            .unwrap();
        // Thursday 6 May 2027 is Ascension.
        let ascension = paris(2027, 5, 6, 14, 0);
        let mut change = json!({"starts_at": z(ascension), "ends_at": z(ascension + Duration::hours(2))});
        let body = problem_body(edit(&app, &admin, id, change.clone()).await, 409, "planning_warnings").await;
        assert_eq!(body["details"][0]["code"], "public_holiday", "{body}");
        assert!(
            body["details"][0]["message"].as_str().unwrap().contains("Ascension"),
            "{body}"
        );
        assert_eq!(
            starts_at(&app, id).await,
            start,
            "nothing saved before the confirmation"
        );

        change["confirm_warnings"] = json!(true);
        assert_eq!(edit(&app, &admin, id, change).await.status(), 200);
        assert_eq!(starts_at(&app, id).await, ascension);
    }
);

db_test!(
    async fn a_session_edited_in_place_is_not_warned_of_an_overlap_with_itself_but_of_others(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let (w, place) = (workshop(&app, &admin).await, library(&app, &admin, true).await);
        let at = |h, m| paris(2027, 1, 12, h, m);
        let id = json(create(&app, &admin, w, place, at(14, 0), at(16, 0), json!({})).await).await["id"]
            .as_i64()
            .unwrap();
        assert_eq!(
            edit(&app, &admin, id, json!({"capacity": 10})).await.status(),
            200,
            "same time"
        );
        let longer = json!({"ends_at": z(at(16, 30))});
        assert_eq!(
            edit(&app, &admin, id, longer).await.status(),
            200,
            "still over its own old time"
        );

        // Another session at the place is still a warning.
        assert_eq!(
            create(&app, &admin, w, place, at(17, 0), at(18, 0), json!({}))
                .await
                .status(),
            201
        );
        let body = problem_body(
            edit(&app, &admin, id, json!({"ends_at": z(at(17, 30))})).await,
            409,
            "planning_warnings",
        )
        .await;
        assert_eq!(body["details"].as_array().unwrap().len(), 1, "{body}");
        assert_eq!(body["details"][0]["code"], "overlap");
        assert!(
            body["details"][0]["message"]
                .as_str()
                .unwrap()
                .contains("de 17\u{a0}h à 18\u{a0}h"),
            "{body}"
        );
    }
);
