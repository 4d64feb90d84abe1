//! Calendar feeds: secret URLs made and revoked by staff (residents' names inside), and the
//! public feed of a place's sessions (no personal data).
use std::str::FromStr;

use chrono::Duration;
use creneau::auth::Role;
use creneau_tests::db_test;
use icalendar::{Calendar, Component, EventLike, EventStatus};
use reqwest::Method;
use serde_json::json;

use crate::{helpers::*, notifications_support::mediation_point};

/// Fetches a calendar and parses it; answers (calendar, raw text).
async fn calendar(app: &creneau_tests::app::TestApp, path: &str) -> (Calendar, String) {
    let resp = app.get(path).await;
    assert_eq!(resp.status(), 200, "{path}");
    assert_eq!(resp.headers()["content-type"], "text/calendar; charset=utf-8");
    let text = resp.text().await.unwrap();
    (Calendar::from_str(&text).expect("a feed parses"), text)
}

/// The path part of a feed URL.
fn path_of(url: &str) -> String {
    let at = url.find("/api/v1/feeds/").expect("a feed URL");
    url[at..].to_string()
}

db_test!(
    async fn a_place_feed_lists_sessions_with_registrants_and_appointments_until_it_is_revoked(app: TestApp) {
        let (org, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 8).await;
        app.register(f.session_id, "Ana Martin", Some("ana@exemple.fr"), None)
            .await;
        app.register(f.session_id, "Bob", None, Some("06 12 34 56 78")).await;

        let resp = app
            .admin_post(
                &admin,
                "/api/v1/admin/feeds",
                json!({"kind": "place", "place_id": f.place_id}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let feed = json(resp).await;
        let token = feed["token"].as_str().unwrap().to_string();
        let url = feed["url"].as_str().unwrap();
        assert_eq!(url, format!("http://127.0.0.1/api/v1/feeds/{token}.ics"));
        assert_eq!(feed["kind"], "place");

        let (cal, text) = calendar(&app, &path_of(url)).await;
        assert_eq!(cal.property_value("METHOD"), None);
        assert_eq!(cal.property_value("X-WR-CALNAME"), Some("Médiathèque — agenda"));
        let events: Vec<_> = cal.events().collect();
        assert_eq!(events.len(), 1);
        let e = events[0];
        let uid = expected_uid(&app, "session", i64::from(f.session_id)).await;
        assert_eq!(e.get_uid(), Some(uid.as_str()));
        assert_eq!(e.get_summary(), Some("Atelier « Créer mon compte citoyen »"));
        assert_eq!(e.property_value("DTSTART"), Some("20270112T130000Z"));
        assert!(
            e.get_description()
                .unwrap()
                .contains("Inscrits (2/8) : Ana Martin, Bob"),
            "{text}"
        );
        assert!(!text.contains("ATTENDEE"));

        // Appointments at a mediation point appear in that place's feed, with the resident's details.
        let (point, motif) = mediation_point(&app, &admin).await;
        let resp = app
            .post(
                &format!("/api/v1/places/{point}/appointments"),
                json!({"motif": motif, "start": "2027-01-12T10:00:00+01:00", "name": "Zoé Lefèvre", "phone": "06 98 76 54 32"}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let point_feed = json(
            app.admin_post(
                &admin,
                "/api/v1/admin/feeds",
                json!({"kind": "place", "place_id": point}),
            )
            .await,
        )
        .await;
        let (cal, _) = calendar(&app, &path_of(point_feed["url"].as_str().unwrap())).await;
        let events: Vec<_> = cal.events().collect();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].get_summary(), Some("Rendez-vous « Aide CAF » — Zoé Lefèvre"));
        assert!(
            events[0]
                .get_description()
                .unwrap()
                .contains("Téléphone : +33698765432")
        );
        let uid = events[0].get_uid().unwrap();
        let id: i64 = uid["appointment-".len()..].split('-').next().unwrap().parse().unwrap();
        assert_eq!(uid, expected_uid(&app, "agenda", id).await);

        // Listed without their secret; facilitators cannot make place feeds.
        let listed = json(
            app.request(Method::GET, "/api/v1/admin/feeds", Some(&admin), None)
                .await,
        )
        .await;
        assert_eq!(listed.as_array().unwrap().len(), 2);
        assert!(!listed.to_string().contains(&token));
        let facilitator = app.staff(org, "animation@arles.example", Role::Facilitator).await;
        let resp = app
            .admin_post(
                &facilitator,
                "/api/v1/admin/feeds",
                json!({"kind": "place", "place_id": f.place_id}),
            )
            .await;
        problem(resp, 403, "forbidden").await;
        let resp = app
            .admin_post(&admin, "/api/v1/admin/feeds", json!({"kind": "place"}))
            .await;
        problem(resp, 422, "validation").await;

        // Another organisation can neither see nor revoke it.
        let (_, other) = app.organisation("tarascon").await;
        let theirs = json(
            app.request(Method::GET, "/api/v1/admin/feeds", Some(&other), None)
                .await,
        )
        .await;
        assert_eq!(theirs, json!([]));
        let revoke = format!("/api/v1/admin/feeds/{}", feed["id"]);
        problem(
            app.request(Method::DELETE, &revoke, Some(&other), None).await,
            404,
            "not_found",
        )
        .await;
        problem(
            app.request(Method::DELETE, &revoke, Some(&facilitator), None).await,
            403,
            "forbidden",
        )
        .await;

        // Revoked: the URL is dead at once.
        let resp = app.request(Method::DELETE, &revoke, Some(&admin), None).await;
        assert_eq!(resp.status(), 204);
        problem(app.get(&path_of(url)).await, 404, "not_found").await;
        problem(app.get("/api/v1/feeds/nothing-here.ics").await, 404, "not_found").await;
        let listed = json(
            app.request(Method::GET, "/api/v1/admin/feeds", Some(&admin), None)
                .await,
        )
        .await;
        assert_eq!(listed.as_array().unwrap().len(), 1);
    }
);

db_test!(
    async fn a_staff_feed_shows_the_sessions_one_facilitates(app: TestApp) {
        let (org, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 8).await;
        let facilitator = app.staff(org, "animation@arles.example", Role::Facilitator).await;
        let me = json(
            app.request(Method::GET, "/api/v1/auth/me", Some(&facilitator), None)
                .await,
        )
        .await;
        let me_id = me["id"].as_i64().expect("the caller's id");
        app.register(f.session_id, "Ana Martin", Some("ana@exemple.fr"), None)
            .await;

        let resp = app
            .admin_post(&facilitator, "/api/v1/admin/feeds", json!({"kind": "staff"}))
            .await;
        assert_eq!(resp.status(), 201);
        let feed = json(resp).await;
        assert_eq!(feed["staff_member_id"], me_id);
        let path = path_of(feed["url"].as_str().unwrap());
        let (cal, _) = calendar(&app, &path).await;
        assert_eq!(cal.events().count(), 0, "not facilitating anything yet");

        let resp = app
            .request(
                Method::PATCH,
                &format!("/api/v1/admin/sessions/{}", f.session_id),
                Some(&admin),
                Some(json!({"facilitator_id": me_id})),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let (cal, _) = calendar(&app, &path).await;
        let events: Vec<_> = cal.events().collect();
        assert_eq!(events.len(), 1);
        assert_eq!(cal.property_value("X-WR-CALNAME"), Some("Agenda de Agent Test"));
        assert!(events[0].get_description().unwrap().contains("Ana Martin"));

        // A facilitator makes feeds of their own agenda only, and sees only those.
        let admin_id = json(app.request(Method::GET, "/api/v1/auth/me", Some(&admin), None).await).await["id"].clone();
        let resp = app
            .admin_post(
                &facilitator,
                "/api/v1/admin/feeds",
                json!({"kind": "staff", "staff_member_id": admin_id}),
            )
            .await;
        problem(resp, 403, "forbidden").await;
        app.admin_post(
            &admin,
            "/api/v1/admin/feeds",
            json!({"kind": "place", "place_id": f.place_id}),
        )
        .await;
        let mine = json(
            app.request(Method::GET, "/api/v1/admin/feeds", Some(&facilitator), None)
                .await,
        )
        .await;
        assert_eq!(mine.as_array().unwrap().len(), 1);
        let resp = app
            .request(
                Method::DELETE,
                &format!("/api/v1/admin/feeds/{}", feed["id"]),
                Some(&facilitator),
                None,
            )
            .await;
        assert_eq!(resp.status(), 204);
        problem(app.get(&path).await, 404, "not_found").await;
    }
);

db_test!(
    async fn the_public_feed_of_a_place_lists_its_sessions_without_personal_data(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 8).await;
        app.register(
            f.session_id,
            "Ana Martin",
            Some("ana@exemple.fr"),
            Some("06 12 34 56 78"),
        )
        .await;
        // A second session, cancelled: kept in the feed so subscribers drop it.
        let start = app.now() + Duration::days(9);
        let second = json(
            app.admin_post(
                &admin,
                "/api/v1/admin/sessions",
                json!({
                    "workshop_id": f.workshop_id, "place_id": f.place_id,
                    "starts_at": start.to_rfc3339(), "ends_at": (start + Duration::hours(2)).to_rfc3339()
                }),
            )
            .await,
        )
        .await;
        app.admin_post(
            &admin,
            &format!("/api/v1/admin/sessions/{}/cancel", second["id"]),
            json!({"reason": "Travaux"}),
        )
        .await;

        let (cal, text) = calendar(&app, &format!("/api/v1/places/{}/sessions.ics", f.place_id)).await;
        assert_eq!(cal.property_value("X-WR-CALNAME"), Some("Ateliers — Médiathèque"));
        let events: Vec<_> = cal.events().collect();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].get_status(), Some(EventStatus::Confirmed));
        assert_eq!(
            events[0].get_location(),
            Some("Médiathèque, Place Félix Rey, 13200 Arles")
        );
        assert_eq!(events[1].get_status(), Some(EventStatus::Cancelled));
        assert!(
            events[1]
                .get_description()
                .unwrap()
                .contains("Séance annulée : Travaux")
        );
        for private in ["Ana", "ana@exemple.fr", "+33612345678", "Inscrits", "ATTENDEE"] {
            assert!(!text.contains(private), "{private} in the public feed");
        }
        problem(app.get("/api/v1/places/999999/sessions.ics").await, 404, "not_found").await;
    }
);

/// The id of the staff member a bearer token belongs to.
async fn my_id(app: &creneau_tests::app::TestApp, token: &str) -> i64 {
    let me = json(app.request(Method::GET, "/api/v1/auth/me", Some(token), None).await).await;
    me["id"].as_i64().or_else(|| me["staff"]["id"].as_i64()).expect("an id")
}

db_test!(
    async fn a_place_feed_records_its_creator_and_last_use_and_dies_when_the_creator_is_deactivated(app: TestApp) {
        let (org, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 8).await;
        app.register(
            f.session_id,
            "Ana Martin",
            Some("ana@exemple.fr"),
            Some("06 12 34 56 78"),
        )
        .await;
        let coordinator = app.staff(org, "coordination@arles.example", Role::Coordinator).await;
        let coordinator_id = my_id(&app, &coordinator).await;
        let feed = json(
            app.admin_post(
                &coordinator,
                "/api/v1/admin/feeds",
                json!({"kind": "place", "place_id": f.place_id}),
            )
            .await,
        )
        .await;
        let path = path_of(feed["url"].as_str().unwrap());
        let listed = json(
            app.request(Method::GET, "/api/v1/admin/feeds", Some(&admin), None)
                .await,
        )
        .await;
        assert_eq!(listed[0]["created_by_id"], coordinator_id);
        assert_eq!(listed[0]["created_by_name"], "Agent Test");
        assert!(listed[0].get("last_used_at").is_none(), "never read yet: {listed}");

        let (_, text) = calendar(&app, &path).await;
        assert!(text.contains("Ana Martin"));
        let listed = json(
            app.request(Method::GET, "/api/v1/admin/feeds", Some(&admin), None)
                .await,
        )
        .await;
        assert_eq!(listed[0]["last_used_at"], "2027-01-04T09:00:00+01:00", "{listed}");

        // The coordinator leaves: their account is deactivated, and the feed with it.
        let resp = app
            .request(
                Method::PATCH,
                &format!("/api/v1/admin/staff/{coordinator_id}"),
                Some(&admin),
                Some(json!({"active": false})),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let resp = app.get(&path).await;
        assert_eq!(resp.status(), 404);
        assert!(!resp.text().await.unwrap().contains("Ana Martin"));
    }
);

db_test!(
    async fn a_place_feed_dies_when_its_creator_no_longer_coordinates(app: TestApp) {
        let (org, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 8).await;
        let coordinator = app.staff(org, "coordination@arles.example", Role::Coordinator).await;
        let coordinator_id = my_id(&app, &coordinator).await;
        let feed = json(
            app.admin_post(
                &coordinator,
                "/api/v1/admin/feeds",
                json!({"kind": "place", "place_id": f.place_id}),
            )
            .await,
        )
        .await;
        let path = path_of(feed["url"].as_str().unwrap());
        assert_eq!(app.get(&path).await.status(), 200);
        let resp = app
            .request(
                Method::PATCH,
                &format!("/api/v1/admin/staff/{coordinator_id}"),
                Some(&admin),
                Some(json!({"role": "facilitator"})),
            )
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(app.get(&path).await.status(), 404);
    }
);

db_test!(
    async fn feeds_are_listed_in_the_console_with_their_last_use_and_can_be_revoked_there(app: TestApp) {
        let (org, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 8).await;
        let feed = json(
            app.admin_post(
                &admin,
                "/api/v1/admin/feeds",
                json!({"kind": "place", "place_id": f.place_id}),
            )
            .await,
        )
        .await;
        let path = path_of(feed["url"].as_str().unwrap());
        calendar(&app, &path).await;
        let facilitator = app.staff(org, "animation@arles.example", Role::Facilitator).await;
        let own = json(
            app.admin_post(&facilitator, "/api/v1/admin/feeds", json!({"kind": "staff"}))
                .await,
        )
        .await;

        let v = crate::pages::Visitor::new(&app);
        v.sign_in("admin@arles.example", "mot-de-passe-solide").await;
        let page = v.get("/staff/flux").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.contains("Agenda du lieu « Médiathèque »"), "{}", page.body);
        assert!(
            page.contains("par Agent Test · lu le lundi 4 janvier à 9\u{a0}h"),
            "{}",
            page.body
        );
        assert!(page.contains("jamais lu"), "the facilitator's feed: {}", page.body);
        assert!(!page.contains(feed["token"].as_str().unwrap()), "never the secret");

        // A facilitator sees and revokes only their own.
        let fv = crate::pages::Visitor::new(&app);
        fv.sign_in("animation@arles.example", "mot-de-passe-solide").await;
        let theirs = fv.get("/staff/flux").await;
        assert!(!theirs.contains("Médiathèque"), "{}", theirs.body);
        let refused = fv
            .post(
                &format!("/staff/flux/{}/revoquer", feed["id"]),
                &[("csrf", &theirs.csrf())],
            )
            .await;
        assert_eq!(refused.status, 403);
        assert_eq!(app.get(&path).await.status(), 200);

        // Without the CSRF field nothing happens; with it the feed is dead.
        let action = format!("/staff/flux/{}/revoquer", feed["id"]);
        assert_eq!(v.post(&action, &[]).await.status, 403);
        let done = v.post(&action, &[("csrf", &page.csrf())]).await;
        assert_eq!(done.location(), "/staff/flux?fait=revoque");
        assert_eq!(app.get(&path).await.status(), 404);
        let after = v.get(&done.location()).await;
        assert!(after.contains("Le flux est révoqué"));
        assert!(!after.contains("Agenda du lieu"), "{}", after.body);
        let _ = own;
    }
);

/// A GET of `path` with `If-None-Match: etag`.
async fn get_if_none_match(app: &creneau_tests::app::TestApp, path: &str, etag: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{path}", app.base))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap()
}

db_test!(
    async fn feeds_answer_304_to_a_subscriber_holding_their_version_and_may_be_kept_an_hour(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 8).await;
        let feed = json(
            app.admin_post(
                &admin,
                "/api/v1/admin/feeds",
                json!({"kind": "place", "place_id": f.place_id}),
            )
            .await,
        )
        .await;
        let staff_path = path_of(feed["url"].as_str().unwrap());
        let public_path = format!("/api/v1/places/{}/sessions.ics", f.place_id);
        for (path, cache) in [
            (&staff_path, "private, max-age=3600"),
            (&public_path, "public, max-age=3600"),
        ] {
            let first = app.get(path).await;
            assert_eq!(first.status(), 200);
            assert_eq!(
                first.headers()["cache-control"],
                cache,
                "in line with REFRESH-INTERVAL:PT1H"
            );
            let etag = first.headers()["etag"].to_str().unwrap().to_string();
            assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
            let same = get_if_none_match(&app, path, &etag).await;
            assert_eq!(same.status(), 304, "{path}");
            assert_eq!(same.headers()["etag"], etag.as_str());
            assert!(same.text().await.unwrap().is_empty());
            // Another version's tag gets the document.
            assert_eq!(get_if_none_match(&app, path, "\"autre\"").await.status(), 200);
        }

        // A change makes a new version: the old tag no longer matches.
        let etag = app.get(&public_path).await.headers()["etag"]
            .to_str()
            .unwrap()
            .to_string();
        app.admin_post(
            &admin,
            &format!("/api/v1/admin/sessions/{}/cancel", f.session_id),
            json!({"reason": "Travaux"}),
        )
        .await;
        let changed = get_if_none_match(&app, &public_path, &etag).await;
        assert_eq!(changed.status(), 200);
        assert_ne!(changed.headers()["etag"], etag.as_str());
    }
);

db_test!(
    async fn a_session_s_sequence_in_the_feeds_grows_when_it_moves_or_is_cancelled(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let path = format!("/api/v1/places/{}/sessions.ics", f.place_id);
        let sequence = |cal: &Calendar| {
            cal.events()
                .next()
                .unwrap()
                .property_value("SEQUENCE")
                .map(str::to_string)
        };
        assert_eq!(sequence(&calendar(&app, &path).await.0).as_deref(), Some("0"));

        // A change of capacity only: the event in calendars stays as it is.
        let resp = app
            .request(
                Method::PATCH,
                &format!("/api/v1/admin/sessions/{}", f.session_id),
                Some(&admin),
                Some(json!({"capacity": 10})),
            )
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(sequence(&calendar(&app, &path).await.0).as_deref(), Some("0"));

        let old = session_row(&app, f.session_id).await;
        let new_start = old.starts_at + Duration::days(1);
        let resp = app
            .request(
                Method::PATCH,
                &format!("/api/v1/admin/sessions/{}", f.session_id),
                Some(&admin),
                Some(json!({"starts_at": new_start.to_rfc3339(), "ends_at": (new_start + Duration::hours(2)).to_rfc3339()})),
            )
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(sequence(&calendar(&app, &path).await.0).as_deref(), Some("1"));

        app.admin_post(
            &admin,
            &format!("/api/v1/admin/sessions/{}/cancel", f.session_id),
            json!({"reason": "Travaux"}),
        )
        .await;
        assert_eq!(sequence(&calendar(&app, &path).await.0).as_deref(), Some("2"));
    }
);

async fn get_with(app: &creneau_tests::app::TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = app.client.get(format!("{}{path}", app.base));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.unwrap()
}

db_test!(
    async fn feeds_say_when_they_last_changed_and_answer_304_to_if_modified_since_unless_if_none_match_differs(
        app: TestApp,
    ) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 8).await;
        let feed = json(
            app.admin_post(
                &admin,
                "/api/v1/admin/feeds",
                json!({"kind": "place", "place_id": f.place_id}),
            )
            .await,
        )
        .await;
        let staff_path = path_of(feed["url"].as_str().unwrap());
        let public_path = format!("/api/v1/places/{}/sessions.ics", f.place_id);
        let long_ago = "Fri, 01 Jan 2010 00:00:00 GMT";
        let mut stamps = Vec::new();
        for path in [&staff_path, &public_path] {
            let first = app.get(path).await;
            assert_eq!(first.status(), 200);
            let stamp = first.headers()["last-modified"].to_str().unwrap().to_string();
            let etag = first.headers()["etag"].to_str().unwrap().to_string();
            assert!(
                chrono::DateTime::parse_from_rfc2822(&stamp).is_ok() && stamp.ends_with(" GMT"),
                "an HTTP date: {stamp}"
            );
            // Nothing changed: the same time, and 304 to a subscriber holding it.
            assert_eq!(app.get(path).await.headers()["last-modified"], stamp.as_str());
            let same = get_with(&app, path, &[("if-modified-since", &stamp)]).await;
            assert_eq!(same.status(), 304, "{path}");
            assert_eq!(same.headers()["last-modified"], stamp.as_str());
            assert!(same.text().await.unwrap().is_empty());
            let older = get_with(&app, path, &[("if-modified-since", long_ago)]).await;
            assert_eq!(older.status(), 200);
            assert_eq!(
                get_with(&app, path, &[("if-modified-since", "hier")]).await.status(),
                200,
                "an unreadable date is ignored"
            );
            // If-None-Match wins over If-Modified-Since (RFC 9110 §13.1.3).
            let other_tag = get_with(
                &app,
                path,
                &[("if-none-match", "\"autre\""), ("if-modified-since", &stamp)],
            )
            .await;
            assert_eq!(other_tag.status(), 200);
            let same_tag = get_with(&app, path, &[("if-none-match", &etag), ("if-modified-since", long_ago)]).await;
            assert_eq!(same_tag.status(), 304);
            stamps.push(stamp);
        }

        // Renaming the place changes what both feeds show (the place has no time of its own).
        let mut place = json(app.get(&format!("/api/v1/places/{}", f.place_id)).await).await;
        place["name"] = json!("Médiathèque Jacques Ruelle");
        let resp = app
            .request(
                Method::PUT,
                &format!("/api/v1/admin/places/{}", f.place_id),
                Some(&admin),
                Some(place),
            )
            .await;
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
        for (path, before) in [&staff_path, &public_path].into_iter().zip(&stamps) {
            let changed = get_with(&app, path, &[("if-modified-since", before)]).await;
            assert_eq!(changed.status(), 200, "{path}");
            let after = changed.headers()["last-modified"].to_str().unwrap().to_string();
            let parse = |s: &str| chrono::DateTime::parse_from_rfc2822(s).unwrap();
            assert!(parse(&after) > parse(before), "{after} after {before}");
            assert!(changed.text().await.unwrap().contains("Jacques Ruelle"));
        }
    }
);
