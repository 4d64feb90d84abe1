//! The staff console: session cookie, registering by phone, attendance, the sheet, planning.
use creneau::auth::Role;
use creneau_tests::db_test;
use entities::kinds::{Attendance, BookedBy, Event, OutboxStatus, SessionStatus};
use entities::outbox;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

use super::Visitor;
use crate::helpers::*;

const PASSWORD: &str = "mot-de-passe-solide";

db_test!(
    async fn staff_sign_in_with_an_http_only_cookie_and_signing_out_revokes_it(app: TestApp) {
        app.organisation("arles").await;
        let v = Visitor::new(&app);
        assert_eq!(v.get("/staff").await.location(), "/staff/connexion");

        let wrong = v.sign_in("admin@arles.example", "pas le bon").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert!(wrong.contains("Adresse e-mail ou mot de passe incorrect."));
        assert!(wrong.contains(r#"value="admin@arles.example""#), "the e-mail is kept");
        assert!(!wrong.contains("pas le bon"), "the password is never sent back");

        let ok = v.sign_in("admin@arles.example", PASSWORD).await;
        assert_eq!(ok.location(), "/staff");
        let cookie = ok
            .set_cookies()
            .into_iter()
            .find(|c| c.starts_with("creneau_staff="))
            .unwrap();
        for attr in ["HttpOnly", "SameSite=Lax", "Path=/staff"] {
            assert!(cookie.contains(attr), "{attr} in {cookie}");
        }
        assert!(!cookie.contains("Secure"), "plain http in tests");
        let raw = v.cookie("creneau_staff").unwrap();
        let stored: Vec<_> = entities::staff_token::Entity::find().all(&app.state.db).await.unwrap();
        assert!(stored.iter().all(|t| t.token_hash != raw), "only the hash is stored");

        let agenda = v.get("/staff").await;
        assert_eq!(agenda.status, StatusCode::OK);
        assert!(agenda.contains("Aujourd'hui, lundi 4 janvier"), "{}", agenda.body);

        // Signing out needs the session's CSRF token.
        assert_eq!(v.post("/staff/deconnexion", &[]).await.status, StatusCode::FORBIDDEN);
        let out = v.post("/staff/deconnexion", &[("csrf", &agenda.csrf())]).await;
        assert_eq!(out.location(), "/staff/connexion?fait=deconnexion");
        assert!(
            out.set_cookies()
                .iter()
                .any(|c| c.starts_with("creneau_staff=;") && c.contains("Max-Age=0"))
        );
        // The old cookie no longer opens anything.
        v.set_cookie("creneau_staff", &raw);
        assert_eq!(v.get("/staff").await.location(), "/staff/connexion");
        // The API token of the same person is unaffected: only that session was revoked.
    }
);

db_test!(
    async fn staff_register_a_resident_by_phone_and_mark_attendance_in_one_form(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        // Five hours from now.
        let f = app.session_with(&admin, 8, 0).await;
        app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let path = format!("/staff/seances/{}", f.session_id);
        let action = format!("{path}/inscrire");

        let bad = v
            .submit(&path, &action, &[("name", "Ahmed Haddad"), ("phone", "12")])
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.contains(r##"<a href="#phone">Ce numéro n'a pas le bon nombre de chiffres"##),
            "{}",
            bad.body
        );
        assert!(bad.contains(r#"value="Ahmed Haddad""#));

        let done = v
            .submit(&path, &action, &[("name", "Ahmed Haddad"), ("phone", "06 12 34 56 78")])
            .await;
        assert_eq!(done.location(), format!("{path}?fait=inscrite"));
        let rows = registrations(&app, f.session_id).await;
        let ahmed = rows.iter().find(|r| r.name == "Ahmed Haddad").unwrap();
        assert_eq!(
            (ahmed.booked_by, ahmed.phone.as_deref()),
            (BookedBy::Staff, Some("+33612345678"))
        );
        assert_eq!(ahmed.email, None);

        let page = v.get(&format!("{path}?fait=inscrite")).await;
        assert!(page.contains("La personne est inscrite"));
        assert!(page.contains("06 12 34 56 78"), "numbers shown the French way");
        // Before the start, the page lists the registrants without attendance boxes.
        assert!(page.contains("La présence se note à partir du début de la séance."));
        assert!(!page.contains("Enregistrer les présences"));

        app.state.clock.advance(chrono::Duration::hours(5));
        let page = v.get(&path).await;
        let marked = v
            .post(
                &format!("{path}/presences"),
                &[("csrf", &page.csrf()), ("present", &ahmed.id.to_string())],
            )
            .await;
        assert_eq!(marked.location(), format!("{path}?fait=presences"));
        let rows = registrations(&app, f.session_id).await;
        let by_name = |n: &str| rows.iter().find(|r| r.name == n).unwrap().attendance;
        assert_eq!(by_name("Ahmed Haddad"), Attendance::Present);
        assert_eq!(by_name("Ana"), Attendance::Absent, "unticked means absent");
        assert!(v.get(&path).await.contains(&format!(
            r#"id="present-{}" name="present" value="{}" checked"#,
            ahmed.id, ahmed.id
        )));

        // A public CSRF token is not a staff one.
        assert_eq!(
            v.post(
                &format!("{path}/presences"),
                &[("csrf", &v.cookie("creneau_csrf").unwrap())]
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
    }
);

db_test!(
    async fn the_attendance_sheet_prints_the_registrants_without_navigation(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        app.register(f.session_id, "Lucienne Fabre", None, Some("04 90 11 22 33"))
            .await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let sheet = v.get(&format!("/staff/seances/{}/emargement", f.session_id)).await;
        assert_eq!(sheet.status, StatusCode::OK);
        assert!(sheet.contains("Feuille d'émargement"));
        assert!(sheet.contains("Lucienne Fabre"));
        assert!(sheet.contains("04 90 11 22 33"));
        let css = v.get("/static/site.css").await.body;
        let print = &css[css.find("@media print").expect("a print stylesheet")..];
        assert!(print.contains(".site-header") && print.contains("display: none"));
    }
);

db_test!(
    async fn staff_create_a_session_and_a_weekly_series_with_the_same_rules_as_the_api(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let w = f.workshop_id.to_string();
        let p = f.place_id.to_string();

        let bad = v
            .submit(
                "/staff/seances/nouvelle",
                "/staff/seances/nouvelle",
                &[
                    ("workshop", &w),
                    ("place", &p),
                    ("date", "2027-01-20"),
                    ("start", "16:00"),
                    ("end", "14:00"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.contains(r##"<a href="#end">L'heure de fin doit suivre l'heure de début."##),
            "{}",
            bad.body
        );
        assert!(bad.contains(r#"value="2027-01-20""#));

        let done = v
            .submit(
                "/staff/seances/nouvelle",
                "/staff/seances/nouvelle",
                &[
                    ("workshop", &w),
                    ("place", &p),
                    ("date", "20/01/2027"),
                    ("start", "14h"),
                    ("end", "16:00"),
                    ("capacity", "5"),
                ],
            )
            .await;
        let location = done.location();
        let id: i32 = location
            .trim_start_matches("/staff/seances/")
            .trim_end_matches("?fait=creee")
            .parse()
            .unwrap();
        let s = session_row(&app, id).await;
        assert_eq!(s.capacity, 5);
        assert_eq!(s.starts_at.to_rfc3339(), "2027-01-20T13:00:00+00:00", "14:00 in Paris");

        let series = v
            .submit(
                "/staff/seances/serie",
                "/staff/seances/serie",
                &[
                    ("workshop", &w),
                    ("place", &p),
                    ("weekday", "2"),
                    ("start", "14:00"),
                    ("end", "16:00"),
                    ("first_date", "2027-04-01"),
                    ("last_date", "2027-05-31"),
                    ("skip_holidays", "oui"),
                ],
            )
            .await;
        // Tuesdays from 6 April to 25 May 2027: 8, none a public holiday.
        assert_eq!(series.location(), "/staff/seances?fait=serie&n=8&feries=0");
        let listing = v.get(&series.location()).await;
        assert!(listing.contains("8 séances créées."));

        let nothing = v
            .submit(
                "/staff/seances/serie",
                "/staff/seances/serie",
                &[
                    ("workshop", &w),
                    ("place", &p),
                    ("weekday", "2"),
                    ("start", "14:00"),
                    ("end", "16:00"),
                    ("first_date", "2027-06-02"),
                    ("last_date", "2027-06-06"),
                ],
            )
            .await;
        assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(nothing.contains("Il n'y a aucun mardi entre ces deux dates."));
    }
);

db_test!(
    async fn cancelling_a_session_asks_for_confirmation_then_tells_everyone(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let path = format!("/staff/seances/{}/annuler", f.session_id);
        let unconfirmed = v.submit(&path, &path, &[("reason", "Animatrice malade")]).await;
        assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unconfirmed.contains(r##"<a href="#confirm">"##));
        assert!(
            unconfirmed.contains("Animatrice malade</textarea>"),
            "the reason is kept"
        );
        assert_eq!(session_row(&app, f.session_id).await.status, SessionStatus::Scheduled);

        let done = v
            .submit(&path, &path, &[("reason", "Animatrice malade"), ("confirm", "oui")])
            .await;
        assert_eq!(done.location(), format!("/staff/seances/{}?fait=annulee", f.session_id));
        let s = session_row(&app, f.session_id).await;
        assert_eq!(
            (s.status, s.cancel_reason.as_deref()),
            (SessionStatus::Cancelled, Some("Animatrice malade"))
        );
        assert!(outbox_summary(&app).await.iter().any(|r| r.0 == "session_cancelled"));
        // The cancelled session says so and no longer offers its sign-in sheet.
        let page = v.get(&format!("/staff/seances/{}", f.session_id)).await;
        assert!(page.contains("Séance annulée"));
        assert!(!page.contains("Feuille d'émargement"));
    }
);

db_test!(
    async fn a_facilitator_sees_sessions_but_cannot_plan_or_cancel_them(app: TestApp) {
        let (org, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        app.staff(org, "animation@arles.example", Role::Facilitator).await;
        let v = Visitor::new(&app);
        v.sign_in("animation@arles.example", PASSWORD).await;
        assert_eq!(
            v.get(&format!("/staff/seances/{}", f.session_id)).await.status,
            StatusCode::OK
        );
        let refused = v.get("/staff/seances/nouvelle").await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(refused.contains("Votre rôle ne permet pas cette action"));
        assert_eq!(
            v.get(&format!("/staff/seances/{}/annuler", f.session_id)).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(v.get("/staff/messages").await.status, StatusCode::FORBIDDEN);
    }
);

db_test!(
    async fn a_failed_message_is_listed_and_can_be_sent_again(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await;
        let row = outbox_rows(&app)
            .await
            .into_iter()
            .find(|r| r.kind == Event::RegistrationConfirmed)
            .unwrap();
        let mut failed: outbox::ActiveModel = row.clone().into();
        failed.status = Set(OutboxStatus::Failed);
        failed.attempts = Set(5);
        failed.last_error = Set(Some("550 boîte inconnue".into()));
        failed.update(&app.state.db).await.unwrap();

        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let page = v.get("/staff/messages").await;
        assert!(page.contains("Confirmation d'inscription — Ana"), "{}", page.body);
        assert!(page.contains("550 boîte inconnue"));
        let again = v
            .post(
                &format!("/staff/messages/{}/relancer", row.id),
                &[("csrf", &page.csrf())],
            )
            .await;
        assert_eq!(again.location(), "/staff/messages?fait=relance");
        let row = outbox_rows(&app).await.into_iter().find(|r| r.id == row.id).unwrap();
        assert_eq!(row.status, OutboxStatus::Pending);
        assert!(v.get("/staff/messages").await.contains("Aucun message en échec."));
    }
);
