//! Who may do what. Every staff operation of the published spec is called with no token, an
//! expired, a revoked and a made-up token (401), as each role (403 where the role does not
//! allow it, the operation's success status where it does) and as an admin of another
//! organisation (404 for rows that are not theirs). Every manage-token operation is called with
//! its own token, another booking's and malformed ones.
//!
//! The list of staff operations is read from the spec: an operation added without a line
//! in `expectations()` fails this test until someone decides who may call it.
use entities::kinds::{OutboxStatus, RegistrationStatus};
use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use creneau::auth::Role;
use creneau_tests::{app::TestApp, db_test};
use entities::activity_record::{self, RecordKind, RecordStatus};
use entities::{outbox, staff_token};
use reqwest::Method;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

use crate::helpers::*;

/// The least role an operation asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Needs {
    /// Any staff member (facilitators read everything of their organisation).
    Facilitator,
    /// Facilitators for the sessions they run, managers for all (attendance).
    AssignedFacilitator,
    Manager,
    Admin,
}

/// (operationId, who may call it, status when allowed).
fn expectations() -> Vec<(&'static str, Needs, u16)> {
    use Needs::*;
    vec![
        ("whoAmI", Facilitator, 200),
        ("logout", Facilitator, 204),
        ("adminListPlaces", Facilitator, 200),
        ("adminCreatePlace", Manager, 201),
        ("adminUpdatePlace", Manager, 200),
        ("adminListWorkshops", Facilitator, 200),
        ("adminCreateWorkshop", Manager, 201),
        ("adminUpdateWorkshop", Manager, 200),
        ("adminListSessions", Facilitator, 200),
        ("adminCreateSession", Manager, 201),
        ("adminCreateSeries", Manager, 201),
        ("adminGetSession", Facilitator, 200),
        ("adminUpdateSession", Manager, 200),
        ("adminCancelSession", Manager, 200),
        ("adminListRegistrations", Facilitator, 200),
        ("adminRegister", Manager, 201),
        // Attendance too is taken from the start on (422 before it).
        ("adminMarkAttendance", AssignedFacilitator, 422),
        ("adminCancelRegistration", Manager, 200),
        // The fixture has no other session to move to: 422 once the role got through.
        ("adminMoveRegistration", Manager, 422),
        ("adminRemoveRegistration", Manager, 200),
        // The fixture's registrant has a seat already: 409 once the role got through.
        ("adminPromoteRegistration", Manager, 409),
        // The fixture's session is not part of a series: 422 once the role got through.
        ("adminListSeriesFrom", Facilitator, 422),
        ("adminCancelSeriesFrom", Manager, 422),
        ("adminListStaff", Admin, 200),
        ("adminCreateStaff", Admin, 201),
        ("adminUpdateStaff", Admin, 200),
        ("adminListMotifs", Facilitator, 200),
        ("adminCreateMotif", Manager, 201),
        ("adminUpdateMotif", Manager, 200),
        ("adminListPlaceMotifs", Facilitator, 200),
        ("adminSetPlaceMotifs", Manager, 200),
        ("adminListOpeningRules", Facilitator, 200),
        ("adminCreateOpeningRule", Manager, 201),
        ("adminUpdateOpeningRule", Manager, 200),
        ("adminDeleteOpeningRule", Manager, 204),
        ("adminListExtraOpenings", Facilitator, 200),
        ("adminCreateExtraOpening", Manager, 201),
        ("adminUpdateExtraOpening", Manager, 200),
        ("adminDeleteExtraOpening", Manager, 204),
        ("adminListClosures", Facilitator, 200),
        ("adminCreateClosure", Manager, 201),
        ("adminUpdateClosure", Manager, 200),
        ("adminDeleteClosure", Manager, 204),
        ("adminAgenda", Facilitator, 200),
        ("adminListSlots", Facilitator, 200),
        ("adminBookAppointment", Manager, 201),
        ("adminGetAppointment", Facilitator, 200),
        ("adminRescheduleAppointment", Manager, 200),
        ("adminCancelAppointment", Manager, 200),
        // The outcome is taken from the start on: before it the rule answers 422, which
        // proves the role got through.
        ("adminMarkAppointment", Manager, 422),
        ("adminCreateFeed", Manager, 201),
        ("adminListFeeds", Facilitator, 200),
        // The fixture's feed is a place feed: facilitators revoke their own agenda feeds only.
        ("adminRevokeFeed", Manager, 204),
        ("adminListOutbox", Manager, 200),
        ("adminRetryOutbox", Manager, 200),
        ("adminStatistics", Facilitator, 200),
        ("adminListRecords", Facilitator, 200),
        ("adminGetRecord", Facilitator, 200),
        // The fixture's record is its session's: facilitators complete their own sessions'.
        ("adminCompleteRecord", AssignedFacilitator, 200),
        ("adminDeclineRecord", AssignedFacilitator, 200),
        ("adminGetMotifThemes", Facilitator, 200),
        ("adminSetMotifThemes", Manager, 200),
        ("adminGetWorkshopThemes", Facilitator, 200),
        ("adminSetWorkshopThemes", Manager, 200),
        ("adminExportRegistrants", Facilitator, 200),
        // Called without a period: 422 once the role got through.
        ("adminExportAppointments", Facilitator, 422),
        ("adminExportRecords", Facilitator, 422),
        // Without dates: this year up to today.
        ("adminExportStatistics", Facilitator, 200),
        ("adminSurveyResults", Facilitator, 200),
        // Coordinators read the settings (the month's SMS use); only admins change them.
        ("adminGetOrganisation", Manager, 200),
        ("adminUpdateOrganisation", Admin, 200),
    ]
}

/// A staff operation as the spec lists it.
#[derive(Debug, Clone)]
struct Operation {
    id: String,
    method: Method,
    path: String,
}

/// Every operation of the spec that takes staff credentials.
fn staff_operations() -> Vec<Operation> {
    let spec: Value = serde_json::from_str(&creneau::http::openapi::service().spec()).unwrap();
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if secured {
                ops.push(Operation {
                    id: op["operationId"].as_str().unwrap().to_string(),
                    method: method.to_uppercase().parse().unwrap(),
                    path: path.clone(),
                });
            }
        }
    }
    ops
}

/// The rows of one organisation that the calls act on.
#[derive(Debug, Clone, Copy)]
struct Rows {
    place: i64,
    workshop: i64,
    session: i64,
    registration: i64,
    /// A staff account of the organisation, other than the callers.
    staff: i64,
    facilitator: i64,
    motif: i64,
    opening_rule: i64,
    extra_opening: i64,
    closure: i64,
    appointment: i64,
    feed: i64,
    /// A message of the organisation's outbox, marked failed.
    outbox: i64,
    /// The draft activity record of the session.
    record: i64,
}

struct Org {
    id: i32,
    admin: i32,
    coordinator: i32,
    facilitator: i32,
    /// A facilitator who runs none of the sessions.
    other_facilitator: i32,
}

async fn staff_account(app: &TestApp, org: i32, email: &str, role: Role) -> i32 {
    creneau::auth::api::create_staff(&app.state, org, email, "Agent Test", role, "mot-de-passe-solide")
        .await
        .map_err(|e| e.problem().message.clone())
        .unwrap()
        .id
}

async fn org(app: &TestApp, slug: &str) -> Org {
    let (id, _) = app.organisation(slug).await;
    Org {
        id,
        admin: staff_account(app, id, &format!("admin2@{slug}.example"), Role::Admin).await,
        coordinator: staff_account(app, id, &format!("coordination@{slug}.example"), Role::Coordinator).await,
        facilitator: staff_account(app, id, &format!("animation@{slug}.example"), Role::Facilitator).await,
        other_facilitator: staff_account(app, id, &format!("animation2@{slug}.example"), Role::Facilitator).await,
    }
}

/// A token of `staff_id` written straight to the database, expiring at `expires_at`.
async fn mint(app: &TestApp, staff_id: i32, expires_at: DateTime<Utc>, revoked: bool) -> String {
    let raw = creneau::platform::token::generate();
    staff_token::ActiveModel {
        staff_member_id: Set(staff_id),
        token_hash: Set(creneau::platform::token::hash(&raw)),
        created_at: Set(app.now() - Duration::hours(1)),
        expires_at: Set(expires_at),
        revoked_at: Set(revoked.then(|| app.now() - Duration::minutes(1))),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    raw
}

async fn valid(app: &TestApp, staff_id: i32) -> String {
    mint(app, staff_id, app.now() + Duration::hours(12), false).await
}

/// Fresh rows in `org`, made through the API by its admin.
async fn rows(app: &TestApp, o: &Org, n: u32) -> Rows {
    let admin = valid(app, o.admin).await;
    let f = app.session_with(&admin, 5, 3).await;
    let resp = app
        .request(
            Method::PATCH,
            &format!("/api/v1/admin/sessions/{}", f.session_id),
            Some(&admin),
            Some(json!({"facilitator_id": o.facilitator})),
        )
        .await;
    assert_eq!(resp.status(), 200, "assigning the facilitator");
    let reg = json(
        app.register(
            f.session_id,
            "Jeanne Martin",
            None,
            Some(&format!("06 12 34 {:02} {:02}", n / 100 % 100, n % 100)),
        )
        .await,
    )
    .await;
    let staff = staff_account(app, o.id, &format!("cible{n}@org{}.example", o.id), Role::Facilitator).await;
    let place = i64::from(f.place_id);
    let created = |path: String, body: Value| {
        let admin = admin.clone();
        async move {
            let resp = app.request(Method::POST, &path, Some(&admin), Some(body)).await;
            let status = resp.status();
            let body = json(resp).await;
            assert_eq!(status, 201, "{path}: {body}");
            body["id"].as_i64().or_else(|| body["closure"]["id"].as_i64()).unwrap()
        }
    };
    let motif = created(
        "/api/v1/admin/motifs".into(),
        json!({"label": format!("Impôts {n}"), "duration_minutes": 30, "min_notice_minutes": 60, "place_ids": [place]}),
    )
    .await;
    let opening_rule = created(
        format!("/api/v1/admin/places/{place}/opening-rules"),
        json!({"weekday": "tuesday", "start_time": "09:00", "end_time": "12:00"}),
    )
    .await;
    let extra_opening = created(
        format!("/api/v1/admin/places/{place}/extra-openings"),
        json!({"date": "2027-01-09", "start_time": "10:00", "end_time": "12:00"}),
    )
    .await;
    let closure = created(
        format!("/api/v1/admin/places/{place}/closures"),
        json!({"starts_at": "2027-02-01T09:00:00+01:00", "ends_at": "2027-02-01T12:00:00+01:00", "reason": "Inventaire"}),
    )
    .await;
    let appointment = created(
        format!("/api/v1/admin/places/{place}/appointments"),
        json!({"motif": motif, "start": "2027-01-05T09:00:00+01:00", "name": "Lucie Bernard",
               "phone": format!("07 81 34 {:02} {:02}", n / 100 % 100, n % 100)}),
    )
    .await;
    let feed = created(
        "/api/v1/admin/feeds".into(),
        json!({"kind": "place", "place_id": place}),
    )
    .await;
    let message = outbox::Entity::find()
        .filter(outbox::Column::BookingKind.eq("registration"))
        .filter(outbox::Column::BookingId.eq(reg["id"].as_i64().unwrap() as i32))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("the confirmation is in the outbox");
    let mut failed: outbox::ActiveModel = message.into();
    failed.status = Set(OutboxStatus::Failed);
    failed.last_error = Set(Some("550 boîte inconnue".into()));
    let outbox_id = failed.update(&app.state.db).await.unwrap().id;
    let record = activity_record::ActiveModel {
        organisation_id: Set(o.id),
        place_id: Set(f.place_id),
        kind: Set(RecordKind::Collectif),
        session_id: Set(Some(f.session_id)),
        date: Set(chrono::NaiveDate::from_ymd_opt(2027, 1, 7).unwrap()),
        duration_minutes: Set(120),
        themes: Set(String::new()),
        materiel: Set(String::new()),
        titre_atelier: Set(Some("Créer mon compte citoyen".into())),
        participants: Set(1),
        status: Set(RecordStatus::Draft),
        created_at: Set(app.now()),
        updated_at: Set(app.now()),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap()
    .id;
    Rows {
        record: record.into(),
        feed,
        outbox: outbox_id,
        motif,
        opening_rule,
        extra_opening,
        closure,
        appointment,
        place: f.place_id.into(),
        workshop: f.workshop_id.into(),
        session: f.session_id.into(),
        registration: reg["id"].as_i64().unwrap(),
        staff: staff.into(),
        facilitator: o.facilitator.into(),
    }
}

/// The path with its `{id}` filled for this operation, and a body the operation accepts.
fn call(op: &Operation, r: &Rows, n: u32) -> (String, Option<Value>) {
    // The id is of the resource named just before `{id}`.
    let resource = op.path.split("/{id}").next().unwrap().rsplit('/').next().unwrap();
    let id = match resource {
        "places" => r.place,
        "workshops" => r.workshop,
        "sessions" => r.session,
        "registrations" => r.registration,
        "staff" => r.staff,
        "motifs" => r.motif,
        "opening-rules" => r.opening_rule,
        "extra-openings" => r.extra_opening,
        "closures" => r.closure,
        "appointments" => r.appointment,
        "feeds" => r.feed,
        "outbox" => r.outbox,
        "records" => r.record,
        _ if !op.path.contains("{id}") => 0,
        other => panic!("{}: which row is a {other}? add it to access_matrix::call", op.path),
    };
    let mut path = op.path.replace("{id}", &id.to_string());
    if op.id == "adminListSlots" {
        path.push_str(&format!("?motif={}", r.motif));
    }
    if op.id == "adminListSeriesFrom" {
        path.push_str("?from=2027-01-04");
    }
    if op.id == "adminSurveyResults" {
        path.push_str("?from=2027-01&to=2027-01");
    }
    let place = json!({
        "name": format!("Espace {n}"), "kind": "library", "address": "1 rue Test",
        "postal_code": "13200", "city": "Arles"
    });
    let workshop = json!({
        "title": format!("Atelier {n}"), "summary": "Résumé", "description": "Description",
        "level": "Débutant", "audience": "Adultes", "default_duration_minutes": 90, "default_capacity": 8
    });
    let body = match op.id.as_str() {
        "adminCreatePlace" | "adminUpdatePlace" => Some(place),
        "adminCreateWorkshop" | "adminUpdateWorkshop" => Some(workshop),
        "adminCreateSession" => Some(json!({
            "workshop_id": r.workshop, "place_id": r.place,
            "starts_at": "2027-02-02T14:00:00+01:00", "ends_at": "2027-02-02T16:00:00+01:00"
        })),
        "adminCreateSeries" => Some(json!({
            "workshop_id": r.workshop, "place_id": r.place, "weekday": "tuesday",
            "start_time": "14:00", "end_time": "16:00",
            "first_date": "2027-03-02", "last_date": "2027-03-16"
        })),
        "adminUpdateSession" => Some(json!({"capacity": 6})),
        "adminCancelSession" => Some(json!({"reason": "Animateur malade"})),
        "adminMoveRegistration" => Some(json!({"session_id": r.session})),
        "adminRemoveRegistration" => Some(json!({"reason": "Demande de la personne"})),
        "adminPromoteRegistration" => Some(json!({})),
        "adminCancelSeriesFrom" => Some(json!({"from": "2027-01-04"})),
        "adminRegister" => {
            Some(json!({"name": "Paul Durand", "phone": format!("06 98 76 {:02} {:02}", n / 100 % 100, n % 100)}))
        }
        "adminMarkAttendance" => Some(json!({"attendance": "present"})),
        "adminCreateStaff" => Some(json!({
            "email": format!("nouveau{n}@exemple.fr"), "name": "Nouvel Agent", "role": "facilitator"
        })),
        "adminUpdateStaff" => Some(json!({"role": "coordinator"})),
        "adminCreateMotif" => Some(json!({"label": format!("Retraite {n}"), "duration_minutes": 45})),
        "adminUpdateMotif" => Some(json!({"label": format!("Impôts {n}"), "duration_minutes": 45})),
        "adminSetPlaceMotifs" => Some(json!({"motif_ids": [r.motif]})),
        "adminCreateOpeningRule" => Some(json!({"weekday": "thursday", "start_time": "14:00", "end_time": "17:00"})),
        "adminUpdateOpeningRule" => Some(json!({"weekday": "tuesday", "start_time": "09:00", "end_time": "12:30"})),
        "adminCreateExtraOpening" => Some(json!({"date": "2027-01-16", "start_time": "10:00", "end_time": "12:00"})),
        "adminUpdateExtraOpening" => Some(json!({"date": "2027-01-09", "start_time": "10:00", "end_time": "11:30"})),
        "adminCreateClosure" | "adminUpdateClosure" => Some(json!({
            "starts_at": "2027-02-08T09:00:00+01:00", "ends_at": "2027-02-08T12:00:00+01:00", "reason": "Travaux"
        })),
        "adminBookAppointment" => Some(json!({
            "motif": r.motif, "start": "2027-01-05T10:00:00+01:00", "name": "Marc Petit",
            "phone": format!("06 55 44 {:02} {:02}", n / 100 % 100, n % 100)
        })),
        "adminRescheduleAppointment" => Some(json!({"start": "2027-01-05T11:00:00+01:00"})),
        "adminCancelAppointment" => Some(json!({"reason": "Indisponible"})),
        "adminMarkAppointment" => Some(json!({"outcome": "honoured"})),
        "adminCreateFeed" => Some(json!({"kind": "place", "place_id": r.place})),
        "adminUpdateOrganisation" => Some(json!({
            "name": format!("Ville {n}"), "contact_email": "contact@exemple.fr", "sms_sender": "VilleTest"
        })),
        "adminRetryOutbox" => None,
        "adminCompleteRecord" => Some(json!({
            "duration_minutes": 120, "themes": ["email"], "materiel": ["ordinateur"],
            "titre_atelier": "Créer mon compte citoyen", "niveau": "debutant"
        })),
        "adminDeclineRecord" => None,
        "adminSetMotifThemes" | "adminSetWorkshopThemes" => Some(json!({"themes": ["email"]})),
        "logout" => Some(json!({})),
        _ if op.method == Method::GET || op.method == Method::DELETE => None,
        other => panic!("no request body known for {other}: add one in access_matrix::call"),
    };
    (path, body)
}

async fn send(
    app: &TestApp,
    op: &Operation,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app.client.request(op.method.clone(), format!("{}{}", app.base, path));
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

/// What the organisation's admin sees: compared before and after the refused calls.
async fn snapshot(app: &TestApp, admin: &str, r: &Rows) -> String {
    let mut out = String::new();
    for path in [
        format!(
            "/api/v1/admin/places/{}/agenda?date=2027-01-04&days=7&include_cancelled=true",
            r.place
        ),
        format!("/api/v1/admin/places/{}/opening-rules", r.place),
        format!("/api/v1/admin/places/{}/extra-openings", r.place),
        format!("/api/v1/admin/places/{}/closures", r.place),
        "/api/v1/admin/motifs".to_string(),
        "/api/v1/admin/feeds".to_string(),
        "/api/v1/admin/outbox".to_string(),
        "/api/v1/admin/places".to_string(),
        "/api/v1/admin/workshops".to_string(),
        "/api/v1/admin/sessions".to_string(),
        "/api/v1/admin/staff".to_string(),
        format!("/api/v1/admin/sessions/{}/registrations", r.session),
    ] {
        let resp = app.request(Method::GET, &path, Some(admin), None).await;
        assert_eq!(resp.status(), 200, "{path}");
        out.push_str(&resp.text().await.unwrap());
    }
    out
}

db_test!(
    async fn every_staff_operation_answers_401_403_404_or_succeeds_as_the_caller_deserves(app: TestApp) {
        let table = expectations();
        let ops = staff_operations();
        let listed: BTreeSet<&str> = table.iter().map(|t| t.0).collect();
        let in_spec: BTreeSet<&str> = ops.iter().map(|o| o.id.as_str()).collect();
        let unlisted: Vec<_> = in_spec.difference(&listed).collect();
        assert!(
            unlisted.is_empty(),
            "staff operations with no access rule in this test: {unlisted:?}"
        );
        let gone: Vec<_> = listed.difference(&in_spec).collect();
        assert!(gone.is_empty(), "operations listed here but not in the spec: {gone:?}");

        let a = org(&app, "arles").await;
        let b = org(&app, "tarascon").await;
        let shared = rows(&app, &a, 0).await;
        let b_rows = rows(&app, &b, 1).await;
        let a_admin = valid(&app, a.admin).await;

        // Credentials that must not work, whatever the operation.
        let expired = mint(&app, a.admin, app.now() - Duration::minutes(1), false).await;
        let revoked = mint(&app, a.admin, app.now() + Duration::hours(12), true).await;
        let made_up = creneau::platform::token::generate();
        let deactivated_id = staff_account(&app, a.id, "parti@arles.example", Role::Admin).await;
        let deactivated = valid(&app, deactivated_id).await;
        let resp = app
            .request(
                Method::PATCH,
                &format!("/api/v1/admin/staff/{deactivated_id}"),
                Some(&a_admin),
                Some(json!({"active": false})),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let deactivated_after = valid(&app, deactivated_id).await;
        let before = snapshot(&app, &a_admin, &shared).await;

        let mut n = 10;
        for op in &ops {
            let (_, needs, _) = *table.iter().find(|t| t.0 == op.id).unwrap();
            n += 1;
            let (path, body) = call(op, &shared, n);
            for (who, token) in [
                ("no token", None),
                ("an expired token", Some(expired.as_str())),
                ("a revoked token", Some(revoked.as_str())),
                ("a made-up token", Some(made_up.as_str())),
                ("a malformed token", Some("pas un jeton")),
                ("a deactivated account's token", Some(deactivated.as_str())),
                ("a token minted after deactivation", Some(deactivated_after.as_str())),
            ] {
                let resp = send(&app, op, &path, token, body.clone()).await;
                assert_eq!(resp.status(), 401, "{} {} with {who}", op.method, op.path);
                problem(resp, 401, "unauthorized").await;
            }
            // Roles that fall short: 403, nothing done.
            let refused: Vec<(&str, i32)> = match needs {
                Needs::Facilitator => vec![],
                Needs::AssignedFacilitator => vec![("a facilitator of other sessions", a.other_facilitator)],
                Needs::Manager => vec![("a facilitator", a.facilitator)],
                Needs::Admin => vec![("a facilitator", a.facilitator), ("a coordinator", a.coordinator)],
            };
            for (who, staff_id) in refused {
                let token = valid(&app, staff_id).await;
                let resp = send(&app, op, &path, Some(&token), body.clone()).await;
                assert_eq!(resp.status(), 403, "{} {} as {who}", op.method, op.path);
                problem(resp, 403, "forbidden").await;
            }
            // Another organisation's admin: rows that are not theirs do not exist for them.
            if op.path.contains("{id}") {
                let token = valid(&app, b.admin).await;
                let resp = send(&app, op, &path, Some(&token), body.clone()).await;
                assert_eq!(
                    resp.status(),
                    404,
                    "{} {} as another organisation's admin",
                    op.method,
                    op.path
                );
                problem(resp, 404, "not_found").await;
            }
        }
        let after = snapshot(&app, &a_admin, &shared).await;
        assert_eq!(before, after, "a refused call changed something");

        // Allowed roles succeed, each on rows of its own so no call depends on another.
        for op in &ops {
            let (_, needs, ok_status) = *table.iter().find(|t| t.0 == op.id).unwrap();
            let allowed: Vec<(&str, i32)> = match needs {
                Needs::Facilitator | Needs::AssignedFacilitator => vec![
                    ("the facilitator", a.facilitator),
                    ("a coordinator", a.coordinator),
                    ("an admin", a.admin),
                ],
                Needs::Manager => vec![("a coordinator", a.coordinator), ("an admin", a.admin)],
                Needs::Admin => vec![("an admin", a.admin)],
            };
            for (who, staff_id) in allowed {
                n += 1;
                let r = rows(&app, &a, n).await;
                let (path, body) = call(op, &r, n);
                let token = valid(&app, staff_id).await;
                let resp = send(&app, op, &path, Some(&token), body).await;
                let status = resp.status().as_u16();
                let text = resp.text().await.unwrap();
                assert_eq!(status, ok_status, "{} {} as {who}: {text}", op.method, op.path);
                // Lists show the caller's organisation only.
                // (The figures of `adminStatistics` and of `adminSurveyResults`, like the settings of
                // `adminGetOrganisation`, are one object, not a list of rows; exports answer files,
                // not lists: their organisation scope is tested in `exports`, the survey's in `survey`.)
                if op.method == Method::GET
                    && !op.path.contains("{id}")
                    && ![
                        "whoAmI",
                        "adminStatistics",
                        "adminSurveyResults",
                        "adminGetOrganisation",
                    ]
                    .contains(&op.id.as_str())
                    && !op.path.ends_with("/export")
                {
                    for other in [b_rows.place, b_rows.workshop, b_rows.session, b_rows.staff] {
                        let ids: Vec<i64> = serde_json::from_str::<Value>(&text)
                            .unwrap()
                            .as_array()
                            .unwrap()
                            .iter()
                            .filter_map(|v| v["id"].as_i64())
                            .collect();
                        let kind_matches = (op.path.ends_with("/places") && other == b_rows.place)
                            || (op.path.ends_with("/workshops") && other == b_rows.workshop)
                            || (op.path.ends_with("/sessions") && other == b_rows.session)
                            || (op.path.ends_with("/staff") && other == b_rows.staff);
                        assert!(
                            !(kind_matches && ids.contains(&other)),
                            "{} lists another organisation's row",
                            op.path
                        );
                    }
                }
            }
        }
    }
);

db_test!(
    async fn body_ids_of_another_organisation_are_not_found(app: TestApp) {
        let a = org(&app, "arles").await;
        let b = org(&app, "tarascon").await;
        let a_rows = rows(&app, &a, 0).await;
        let b_rows = rows(&app, &b, 1).await;
        let b_admin = valid(&app, b.admin).await;
        // Org B's admin builds a session from org A's workshop or place: refused.
        for (workshop, place) in [(a_rows.workshop, b_rows.place), (b_rows.workshop, a_rows.place)] {
            let resp = app
                .request(
                    Method::POST,
                    "/api/v1/admin/sessions",
                    Some(&b_admin),
                    Some(json!({
                        "workshop_id": workshop, "place_id": place,
                        "starts_at": "2027-02-02T14:00:00+01:00", "ends_at": "2027-02-02T16:00:00+01:00"
                    })),
                )
                .await;
            let status = resp.status().as_u16();
            assert!(
                status == 404 || status == 422,
                "session from another organisation's rows: {status}"
            );
        }
        // Or assigns org A's facilitator.
        let resp = app
            .request(
                Method::PATCH,
                &format!("/api/v1/admin/sessions/{}", b_rows.session),
                Some(&b_admin),
                Some(json!({"facilitator_id": a_rows.facilitator})),
            )
            .await;
        problem(resp, 422, "validation").await;
    }
);

// A booking's manage token opens that booking and no other; anything else is 404.
db_test!(
    async fn a_manage_token_opens_its_own_booking_only(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 5, 3).await;
        let first = json(
            app.register(f.session_id, "Jeanne Martin", None, Some("06 12 34 56 78"))
                .await,
        )
        .await;
        let second = json(
            app.register(f.session_id, "Paul Durand", None, Some("06 98 76 54 32"))
                .await,
        )
        .await;
        let token = first["manage_token"].as_str().unwrap();
        let other = second["manage_token"].as_str().unwrap();

        let seen = json(app.get(&format!("/api/v1/registrations/{token}")).await).await;
        assert_eq!(seen["id"], first["id"]);
        let seen = json(app.get(&format!("/api/v1/registrations/{other}")).await).await;
        assert_eq!(
            seen["id"], second["id"],
            "another booking's token shows that booking, never this one"
        );

        let mut altered = token.to_string();
        let last = altered.pop().unwrap();
        altered.push(if last == 'A' { 'B' } else { 'A' });
        let malformed = [
            altered.as_str(),
            "abc",
            "0",
            "-1",
            "99999999999999999999",
            "%00",
            "..%2F..%2Fetc%2Fpasswd",
            &"A".repeat(300),
            "jeton avec espaces",
            "%F0%9F%98%80",
        ];
        for bad in malformed {
            for method in [Method::GET, Method::DELETE] {
                let resp = app
                    .request(method.clone(), &format!("/api/v1/registrations/{bad}"), None, None)
                    .await;
                let status = resp.status().as_u16();
                assert!(status == 404, "{method} with token {bad:?}: {status}");
                problem(resp, 404, "not_found").await;
            }
        }
        // The right token cancels its own booking only.
        let resp = app
            .request(Method::DELETE, &format!("/api/v1/registrations/{token}"), None, None)
            .await;
        assert_eq!(resp.status(), 200);
        let rows = registrations(&app, f.session_id).await;
        assert_eq!(
            rows.iter()
                .filter(|r| r.status == RegistrationStatus::Cancelled)
                .count(),
            1
        );
        assert_eq!(
            json(app.get(&format!("/api/v1/registrations/{other}")).await).await["status"],
            "confirmed"
        );
    }
);

// The same for appointments: read, cancel and move with the manage token.
db_test!(
    async fn an_appointment_manage_token_opens_its_own_appointment_only(app: TestApp) {
        let a = org(&app, "arles").await;
        let r = rows(&app, &a, 0).await;
        let path = format!("/api/v1/places/{}/appointments", r.place);
        let book = |start: &'static str, phone: &'static str| {
            app.post(
                &path,
                json!({"motif": r.motif, "start": start, "name": "Lucie Bernard", "phone": phone}),
            )
        };
        let first = book("2027-01-05T10:00:00+01:00", "06 12 34 56 78").await;
        assert_eq!(first.status(), 201);
        let first = json(first).await;
        let second = json(book("2027-01-05T10:30:00+01:00", "06 98 76 54 32").await).await;
        let token = first["manage_token"].as_str().unwrap();
        let other = second["manage_token"].as_str().unwrap();
        assert_eq!(
            json(app.get(&format!("/api/v1/appointments/{token}")).await).await["id"],
            first["id"]
        );
        assert_eq!(
            json(app.get(&format!("/api/v1/appointments/{other}")).await).await["id"],
            second["id"]
        );

        let mut altered = token.to_string();
        let last = altered.pop().unwrap();
        altered.push(if last == 'A' { 'B' } else { 'A' });
        let long = "A".repeat(300);
        for bad in [
            altered.as_str(),
            "abc",
            "0",
            "99999999999999999999",
            "%00",
            long.as_str(),
            "%F0%9F%98%80",
        ] {
            let path = format!("/api/v1/appointments/{bad}");
            for (method, body) in [
                (Method::GET, None),
                (Method::DELETE, None),
                (Method::PATCH, Some(json!({"start": "2027-01-05T11:00:00+01:00"}))),
            ] {
                let resp = app.request(method.clone(), &path, None, body).await;
                assert_eq!(resp.status(), 404, "{method} with token {bad:?}");
                problem(resp, 404, "not_found").await;
            }
        }
        // The right token moves and cancels its own appointment, not the other one.
        let resp = app
            .request(
                Method::PATCH,
                &format!("/api/v1/appointments/{token}"),
                None,
                Some(json!({"start": "2027-01-05T11:00:00+01:00"})),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let resp = app
            .request(Method::DELETE, &format!("/api/v1/appointments/{token}"), None, None)
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(json(resp).await["status"], "cancelled");
        let seen = json(app.get(&format!("/api/v1/appointments/{other}")).await).await;
        assert_ne!(seen["status"], "cancelled");
        assert_eq!(seen["starts_at"], second["appointment"]["starts_at"]);
    }
);
