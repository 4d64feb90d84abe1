//! Planning from the console: the session and series forms warn before saving ("Créer quand
//! même"), refuse a start in the past and a session over appointments (names shown to staff),
//! take desks of a mediation point, and sum a series up; attendance waits for the start.
use creneau_tests::db_test;
use entities::kinds::Attendance;
use entities::session;
use reqwest::StatusCode;
use sea_orm::EntityTrait;

use super::{Page, Visitor};
use crate::{
    appointments::*,
    helpers::*,
    planning_api::{library, march_with_a_session_and_an_appointment, point_with_jeanne_at_half_past_two, workshop},
};

const PASSWORD: &str = "mot-de-passe-solide";
const NEW: &str = "/staff/seances/nouvelle";
const SERIES: &str = "/staff/seances/serie";

async fn sessions(app: &creneau_tests::app::TestApp) -> Vec<session::Model> {
    session::Entity::find().all(&app.state.db).await.unwrap()
}

/// The key the "Créer quand même" button sends back.
pub(super) fn confirm_key(page: &Page) -> String {
    let at = page
        .body
        .find(r#"name="confirmer" value=""#)
        .unwrap_or_else(|| panic!("no confirmation button in:\n{}", page.body));
    let rest = &page.body[at + r#"name="confirmer" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

db_test!(
    async fn the_session_form_warns_of_a_public_holiday_and_creates_it_when_told_to_anyway(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let (w, place) = (workshop(&app, &admin).await, library(&app, &admin, true).await);
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let (w, place) = (w.to_string(), place.to_string());
        let fields = [
            ("workshop", w.as_str()),
            ("place", place.as_str()),
            ("date", "2027-12-25"),
            ("start", "14:00"),
            ("end", "16:00"),
        ];
        let warned = v.submit(NEW, NEW, &fields).await;
        assert_eq!(warned.status, StatusCode::CONFLICT);
        assert!(
            warned.contains("À vérifier avant de créer la séance"),
            "{}",
            warned.body
        );
        assert!(warned.contains("Le samedi 25 décembre 2027 est un jour férié (Noël)"));
        assert!(warned.contains("Créer quand même"));
        assert!(warned.contains(r#"value="2027-12-25""#), "what was typed is kept");
        assert!(sessions(&app).await.is_empty(), "nothing saved before the confirmation");

        // Confirming other dates than those warned of shows the new warnings instead.
        let key = confirm_key(&warned);
        let mut other = fields.to_vec();
        other[2] = ("date", "2027-11-11");
        other.push(("confirmer", &key));
        let again = v
            .post(NEW, &[&[("csrf", warned.csrf().as_str())][..], &other].concat())
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert!(again.contains("Armistice 1918"), "{}", again.body);
        assert!(sessions(&app).await.is_empty());

        let mut confirmed = fields.to_vec();
        confirmed.push(("confirmer", &key));
        let done = v
            .post(NEW, &[&[("csrf", warned.csrf().as_str())][..], &confirmed].concat())
            .await;
        let created = sessions(&app).await;
        assert_eq!(created.len(), 1);
        assert_eq!(done.location(), format!("/staff/seances/{}?fait=creee", created[0].id));
    }
);

db_test!(
    async fn the_session_form_warns_of_another_session_at_the_same_place_and_time(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let (w, place) = (workshop(&app, &admin).await, library(&app, &admin, true).await);
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let (w, place) = (w.to_string(), place.to_string());
        let at = |start, end| {
            [
                ("workshop", w.clone()),
                ("place", place.clone()),
                ("date", "2027-01-12".to_string()),
                ("start", start),
                ("end", end),
            ]
        };
        let first = at("14:00".into(), "16:00".into());
        let first: Vec<(&str, &str)> = first.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(v.submit(NEW, NEW, &first).await.status, StatusCode::SEE_OTHER);
        let second = at("15:00".into(), "17:00".into());
        let second: Vec<(&str, &str)> = second.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let warned = v.submit(NEW, NEW, &second).await;
        assert_eq!(warned.status, StatusCode::CONFLICT);
        assert!(
            warned.contains("Une autre séance a lieu au même endroit en même temps : « Créer mon compte citoyen »"),
            "{}",
            warned.body
        );
        assert_eq!(sessions(&app).await.len(), 1);
    }
);

db_test!(
    async fn the_session_form_refuses_a_start_in_the_past_beside_the_date(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let (w, place) = (workshop(&app, &admin).await, library(&app, &admin, true).await);
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let (w, place) = (w.to_string(), place.to_string());
        // The test clock says Monday 4 January 2027, 9:00.
        let page = v
            .submit(
                NEW,
                NEW,
                &[
                    ("workshop", &w),
                    ("place", &place),
                    ("date", "2027-01-04"),
                    ("start", "08:00"),
                    ("end", "10:00"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.contains(r##"<a href="#date">Une séance ne peut pas commencer dans le passé"##),
            "{}",
            page.body
        );
        assert!(sessions(&app).await.is_empty());
    }
);

db_test!(
    async fn the_session_form_lists_the_appointments_in_the_way_with_names_and_fits_on_another_desk(app: TestApp) {
        let (p, w, desk) = point_with_jeanne_at_half_past_two(&app).await;
        let w = w.to_string();
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let form = v.get(NEW).await;
        assert!(form.contains(r#"<legend>Postes occupés"#), "{}", form.body);
        assert!(form.contains(r#"id="desks-2" name="desks" value="2""#));

        let place = p.place.to_string();
        let fields = [
            ("workshop", w.as_str()),
            ("place", place.as_str()),
            ("date", "2027-01-05"),
            ("start", "14:00"),
            ("end", "16:00"),
        ];
        let refused = v.submit(NEW, NEW, &fields).await;
        assert_eq!(refused.status, StatusCode::CONFLICT);
        assert!(refused.contains("Des rendez-vous sont pris sur ces postes pendant la séance"));
        assert!(
            refused.contains(&format!(
                "mardi 5 janvier 2027 de 14\u{a0}h\u{a0}30 à 15\u{a0}h, poste {desk} : Jeanne Martin"
            )),
            "{}",
            refused.body
        );
        assert!(!refused.contains("Créer quand même"), "appointments are not a warning");
        assert!(sessions(&app).await.is_empty());

        let other = (3 - desk).to_string();
        let mut on_other = fields.to_vec();
        on_other.push(("desks", &other));
        assert_eq!(v.submit(NEW, NEW, &on_other).await.status, StatusCode::SEE_OTHER);
        assert_eq!(sessions(&app).await[0].desks.as_deref(), Some(other.as_str()));
        let day = (paris(2027, 1, 5, 13, 0), paris(2027, 1, 5, 18, 0));
        let list = slots(&app, p.place, p.motif, day.0, day.1).await;
        assert!(
            slot_at(&list, paris(2027, 1, 5, 14, 30)).is_none(),
            "both desks busy at 14:30"
        );
        assert_eq!(slot_at(&list, paris(2027, 1, 5, 15, 0)).unwrap()["free_desks"], 1);

        // Another organisation's place is not offered.
        let (_, other_admin) = app.organisation("tarascon").await;
        let theirs = library(&app, &other_admin, true).await.to_string();
        let mut elsewhere = fields.to_vec();
        elsewhere[1] = ("place", &theirs);
        let page = v.submit(NEW, NEW, &elsewhere).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("Choisissez un lieu."));
    }
);

db_test!(
    async fn the_series_form_sums_up_the_sessions_created_the_holidays_and_the_dates_to_check(app: TestApp) {
        let (p, w) = march_with_a_session_and_an_appointment(&app).await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let (w, place) = (w.to_string(), p.place.to_string());
        let done = v
            .submit(
                SERIES,
                SERIES,
                &[
                    ("workshop", &w),
                    ("place", &place),
                    ("weekday", "1"),
                    ("start", "14:00"),
                    ("end", "16:00"),
                    ("first_date", "2027-03-08"),
                    ("last_date", "2027-04-05"),
                    ("skip_holidays", "oui"),
                ],
            )
            .await;
        let list = v.get(&done.location()).await;
        assert!(
            list.contains(
                "3 séances créées, 1 jour férié sauté, 1 chevauchement à vérifier, 1 date sautée (rendez-vous \
                 déjà pris). Chevauchement à vérifier : lundi 15 mars. Pas de séance (rendez-vous déjà pris) : \
                 lundi 22 mars."
            ),
            "{}",
            list.body
        );
        assert_eq!(sessions(&app).await.len(), 4);
    }
);

db_test!(
    async fn attendance_cannot_be_recorded_from_the_console_before_the_session_starts(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 1).await;
        app.register(f.session_id, "Ana Martin", Some("ana@exemple.fr"), None)
            .await;
        let r = registrations(&app, f.session_id).await.remove(0);
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let path = format!("/staff/seances/{}", f.session_id);
        let page = v.get(&path).await;
        let early = v
            .post(
                &format!("{path}/presences"),
                &[("csrf", &page.csrf()), ("present", &r.id.to_string())],
            )
            .await;
        assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            early.contains("La présence se note une fois la séance commencée."),
            "{}",
            early.body
        );
        assert_eq!(registrations(&app, f.session_id).await[0].attendance, r.attendance);
        assert_ne!(r.attendance, Attendance::Present);
    }
);
