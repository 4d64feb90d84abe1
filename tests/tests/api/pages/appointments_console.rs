//! Appointments in the console: cancelling with a reason, moving to another free slot (same
//! place or another one offering the reason), the desk and the outcome shown, a walk-in
//! booked "sur place" with a name alone. Pages and API share `appointments::service`.
use chrono::{DateTime, Duration, Utc};
use creneau::auth::Role;
use creneau_tests::{app::TestApp, db_test};
use entities::kinds::{AppointmentStatus, BookedBy, Event};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::Visitor;
use crate::appointments::{
    add_motif, appointments, assert_claims_match, book, mediation_point, paris, point, tuesday_ten, weekday_hours, z,
};
use crate::helpers::*;

const PASSWORD: &str = "mot-de-passe-solide";

async fn signed_in<'a>(app: &'a TestApp, email: &str) -> Visitor<'a> {
    let v = Visitor::new(app);
    v.sign_in(email, PASSWORD).await;
    v
}

/// Josette's appointment, booked online for Tuesday 10:00 with her e-mail.
async fn josette(app: &TestApp, place: i32, motif: i32) -> entities::appointment::Model {
    let resp = book(
        app,
        place,
        motif,
        tuesday_ten(),
        "Josette Martin",
        Some("josette@exemple.fr"),
        None,
    )
    .await;
    assert_eq!(resp.status(), 201);
    appointments(app).await.pop().unwrap()
}

/// The payload of the only outbox row (e-mail) of `kind`.
async fn message(app: &TestApp, kind: Event) -> (entities::outbox::Model, Value) {
    let rows: Vec<_> = outbox_rows(app)
        .await
        .into_iter()
        .filter(|r| r.kind == kind && r.channel == entities::kinds::Channel::Email)
        .collect();
    assert_eq!(rows.len(), 1, "one {kind:?} message");
    let payload = serde_json::from_str(&rows[0].payload).unwrap();
    (rows[0].clone(), payload)
}

fn instant(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

db_test!(
    async fn staff_cancel_an_appointment_with_a_reason_that_the_resident_is_told(app: TestApp) {
        let p = point(&app, 1).await;
        let a = josette(&app, p.place, p.motif).await;
        let v = signed_in(&app, "admin@arles.example").await;
        let day = v.get(&format!("/staff/lieux/{}?jour=2027-01-05", p.place)).await;
        assert!(day.contains("Poste 1 · Code"), "the desk is shown: {}", day.body);
        let path = format!("/staff/rendez-vous/{}/annuler", a.id);
        assert!(day.contains(&format!(r#"href="{path}""#)));

        let form = v.get(&path).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.contains("La personne sera prévenue par e-mail"));
        let csrf = form.csrf();
        let sequence = a.ical_sequence.to_string();
        let blank = v
            .post(&path, &[("csrf", &csrf), ("sequence", &sequence), ("reason", "   ")])
            .await;
        assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            blank.contains(r##"<a href="#reason">Indiquez le motif de l'annulation"##),
            "{}",
            blank.body
        );
        let long = "très long ".repeat(60);
        let too_long = v
            .post(&path, &[("csrf", &csrf), ("sequence", &sequence), ("reason", &long)])
            .await;
        assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(too_long.contains("500 caractères au plus"));
        assert!(too_long.contains(long.trim()), "what was typed is kept");
        assert_eq!(
            appointments(&app).await[0].status,
            AppointmentStatus::Booked,
            "nothing changed"
        );
        assert!(
            outbox_rows(&app)
                .await
                .iter()
                .all(|r| r.kind != Event::AppointmentCancelled)
        );

        let reason = "Le médiateur est absent ce jour-là.";
        let done = v
            .post(&path, &[("csrf", &csrf), ("sequence", &sequence), ("reason", reason)])
            .await;
        assert_eq!(
            done.location(),
            format!("/staff/lieux/{}?jour=2027-01-05&fait=annule#rdv-{}", p.place, a.id)
        );
        let stored = appointments(&app).await.pop().unwrap();
        assert_eq!(stored.status, AppointmentStatus::Cancelled);
        assert_eq!(stored.cancel_reason.as_deref(), Some(reason));
        let (row, payload) = message(&app, Event::AppointmentCancelled).await;
        assert_eq!(row.recipient_email.as_deref(), Some("josette@exemple.fr"));
        assert_eq!(payload["reason"], reason, "the resident is told why");
        assert_claims_match(&app).await;

        let after = v.get(&done.location()).await;
        assert!(after.contains("Rendez-vous annulé."));
        assert!(
            !after.contains("Josette Martin"),
            "a cancelled appointment leaves the day"
        );
    }
);

db_test!(
    async fn another_organisations_appointment_and_place_are_not_found_from_the_console(app: TestApp) {
        let p = point(&app, 1).await;
        let a = josette(&app, p.place, p.motif).await;
        let messages = outbox_rows(&app).await.len();
        let (_, other) = app.organisation("tarascon").await;
        let elsewhere = mediation_point(&app, &other, "Point numérique de Tarascon", 1).await;
        let v = signed_in(&app, "admin@tarascon.example").await;
        let csrf = v.get("/staff").await.csrf();
        for path in [
            format!("/staff/rendez-vous/{}/annuler", a.id),
            format!("/staff/rendez-vous/{}/deplacer", a.id),
            format!(
                "/staff/rendez-vous/{}/deplacer?debut={}",
                a.id,
                z(tuesday_ten() + Duration::hours(1))
            ),
        ] {
            assert_eq!(v.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
        }
        let cancel = v
            .post(
                &format!("/staff/rendez-vous/{}/annuler", a.id),
                &[("csrf", &csrf), ("sequence", "0"), ("reason", "Essai")],
            )
            .await;
        assert_eq!(cancel.status, StatusCode::NOT_FOUND);
        let later = z(tuesday_ten() + Duration::hours(1));
        let moved = v
            .post(
                &format!("/staff/rendez-vous/{}/deplacer", a.id),
                &[
                    ("csrf", &csrf),
                    ("sequence", "0"),
                    ("lieu", &elsewhere.to_string()),
                    ("start", &later),
                ],
            )
            .await;
        assert_eq!(moved.status, StatusCode::NOT_FOUND);
        let walk_in = v
            .post(
                &format!("/staff/lieux/{}/sur-place", p.place),
                &[
                    ("csrf", &csrf),
                    ("name", "Marcel"),
                    ("motif", &p.motif.to_string()),
                    ("quand", "maintenant"),
                ],
            )
            .await;
        assert_eq!(walk_in.status, StatusCode::NOT_FOUND);

        // Nor can Arles move its appointment to Tarascon's place.
        let arles = signed_in(&app, "admin@arles.example").await;
        let path = format!("/staff/rendez-vous/{}/deplacer", a.id);
        assert_eq!(
            arles.get(&format!("{path}?lieu={elsewhere}")).await.status,
            StatusCode::NOT_FOUND
        );
        let csrf = arles.get(&path).await.csrf();
        let across = arles
            .post(
                &path,
                &[
                    ("csrf", &csrf),
                    ("sequence", "0"),
                    ("lieu", &elsewhere.to_string()),
                    ("start", &later),
                ],
            )
            .await;
        assert_eq!(across.status, StatusCode::NOT_FOUND);
        let stored = appointments(&app).await;
        assert_eq!(stored.len(), 1, "no walk-in booked");
        assert_eq!(
            (stored[0].status, stored[0].place_id, stored[0].starts_at),
            (AppointmentStatus::Booked, p.place, tuesday_ten()),
            "nothing changed"
        );
        assert_eq!(outbox_rows(&app).await.len(), messages, "no message queued");

        // A facilitator reads the day but changes nothing.
        app.staff(p.org, "animation@arles.example", Role::Facilitator).await;
        let facilitator = signed_in(&app, "animation@arles.example").await;
        let day = facilitator
            .get(&format!("/staff/lieux/{}?jour=2027-01-05", p.place))
            .await;
        assert!(day.contains("Josette Martin"));
        assert!(!day.contains("/annuler"));
        assert_eq!(
            facilitator
                .get(&format!("/staff/rendez-vous/{}/annuler", a.id))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
    }
);

db_test!(
    async fn staff_move_an_appointment_to_another_place_offering_the_reason_and_the_resident_gets_old_and_new_time(
        app: TestApp,
    ) {
        let (_, admin) = app.organisation("arles").await;
        let first = mediation_point(&app, &admin, "Maison publique de Trinquetaille", 1).await;
        let second = mediation_point(&app, &admin, "Maison de quartier de Barriol", 2).await;
        let other = mediation_point(&app, &admin, "Point du Sambuc", 1).await;
        for place in [first, second, other] {
            weekday_hours(&app, &admin, place).await;
        }
        let motif = add_motif(&app, &admin, "CAF", 30, true, &[first, second]).await;
        add_motif(&app, &admin, "Impôts", 30, true, &[other]).await;
        let a = josette(&app, first, motif).await;
        let v = signed_in(&app, "admin@arles.example").await;

        let path = format!("/staff/rendez-vous/{}/deplacer", a.id);
        let search = v.get(&path).await;
        assert_eq!(search.status, StatusCode::OK);
        assert!(
            search.contains("Maison de quartier de Barriol"),
            "places offering the reason"
        );
        assert!(!search.contains("Point du Sambuc"), "not a place without the reason");
        assert!(
            v.get(&format!("{path}?lieu={other}")).await.status == StatusCode::NOT_FOUND,
            "a place that does not offer the reason"
        );
        let at_second = v.get(&format!("{path}?lieu={second}&jour=2027-01-05")).await;
        let two = paris(2027, 1, 5, 14, 0);
        assert!(
            at_second.contains(&format!("lieu={second}&amp;debut={}", z(two))),
            "{}",
            at_second.body
        );

        let confirm = v.get(&format!("{path}?lieu={second}&debut={}", z(two))).await;
        assert!(confirm.contains("mardi 5 janvier à 10\u{a0}h, Maison publique de Trinquetaille"));
        assert!(confirm.contains("mardi 5 janvier à 14\u{a0}h – 14\u{a0}h\u{a0}30, Maison de quartier de Barriol"));
        assert!(confirm.contains("le lieu change"));
        let done = v
            .post(
                &path,
                &[
                    ("csrf", &confirm.csrf()),
                    ("sequence", "0"),
                    ("lieu", &second.to_string()),
                    ("start", &z(two)),
                ],
            )
            .await;
        assert_eq!(
            done.location(),
            format!("/staff/lieux/{second}?jour=2027-01-05&fait=deplace#rdv-{}", a.id)
        );
        let moved = appointments(&app).await.pop().unwrap();
        assert_eq!(
            (moved.place_id, moved.starts_at, moved.status),
            (second, two, AppointmentStatus::Booked)
        );
        assert_eq!(moved.ical_sequence, 1);
        assert_claims_match(&app).await;
        let (row, payload) = message(&app, Event::AppointmentRescheduled).await;
        assert_eq!(row.recipient_email.as_deref(), Some("josette@exemple.fr"));
        assert_eq!(instant(&payload["previous_starts_at"]), tuesday_ten(), "the old time");
        assert_eq!(instant(&payload["starts_at"]), two, "the new time");
        assert_eq!(payload["place_name"], "Maison de quartier de Barriol");

        let day = v.get(&done.location()).await;
        assert!(day.contains("Rendez-vous déplacé."));
        assert!(day.contains("Josette Martin"));
        // The old place's desk is free again.
        assert_eq!(
            book(&app, first, motif, tuesday_ten(), "Paul", Some("paul@exemple.fr"), None)
                .await
                .status(),
            201
        );
    }
);

db_test!(
    async fn a_slot_taken_meanwhile_is_refused_with_the_nearest_free_slots_and_nothing_changes(app: TestApp) {
        let p = point(&app, 1).await;
        let a = josette(&app, p.place, p.motif).await;
        let v = signed_in(&app, "admin@arles.example").await;
        let path = format!("/staff/rendez-vous/{}/deplacer", a.id);
        let eleven = paris(2027, 1, 5, 11, 0);
        let confirm = v.get(&format!("{path}?debut={}", z(eleven))).await;
        assert_eq!(confirm.status, StatusCode::OK);
        // Someone books 11:00 online while the agent reads.
        assert_eq!(
            book(&app, p.place, p.motif, eleven, "Paul", Some("paul@exemple.fr"), None)
                .await
                .status(),
            201
        );
        let refused = v
            .post(
                &path,
                &[
                    ("csrf", &confirm.csrf()),
                    ("sequence", "0"),
                    ("lieu", &p.place.to_string()),
                    ("start", &z(eleven)),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::CONFLICT);
        assert!(refused.contains("Ce créneau vient d'être réservé par quelqu'un d'autre"));
        assert!(refused.contains("Créneaux libres les plus proches"));
        for near in [paris(2027, 1, 5, 10, 30), paris(2027, 1, 5, 11, 30)] {
            assert!(refused.contains(&format!("debut={}", z(near))), "{near} offered");
        }
        let stored = appointments(&app).await;
        assert_eq!(
            (stored[0].starts_at, stored[0].ical_sequence),
            (tuesday_ten(), 0),
            "nothing changed"
        );
        assert!(
            outbox_rows(&app)
                .await
                .iter()
                .all(|r| r.kind != Event::AppointmentRescheduled)
        );
        assert_claims_match(&app).await;
    }
);

db_test!(
    async fn a_form_opened_before_the_appointment_changed_says_so_instead_of_overwriting(app: TestApp) {
        let p = point(&app, 1).await;
        let a = josette(&app, p.place, p.motif).await;
        let v = signed_in(&app, "admin@arles.example").await;
        let agenda = v.get("/staff?jour=2027-01-05").await;
        let cancel_path = format!("/staff/rendez-vous/{}/annuler", a.id);
        assert!(
            agenda.contains(&format!(r#"href="{cancel_path}?retour=agenda""#)),
            "from the agenda too"
        );
        assert!(agenda.contains("poste 1"));
        let form = v.get(&format!("{cancel_path}?retour=agenda")).await;

        // Meanwhile a colleague moves it through the API.
        let half_past = paris(2027, 1, 5, 10, 30);
        let resp = app
            .request(
                Method::PATCH,
                &format!("/api/v1/admin/appointments/{}", a.id),
                Some(&p.admin),
                Some(json!({"start": z(half_past)})),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let stale = v
            .post(
                &cancel_path,
                &[
                    ("csrf", &form.csrf()),
                    ("sequence", "0"),
                    ("retour", "agenda"),
                    ("reason", "Absent"),
                ],
            )
            .await;
        assert_eq!(stale.status, StatusCode::CONFLICT);
        assert!(stale.contains("Ce rendez-vous a changé depuis l'ouverture de cette page"));
        assert!(
            stale.contains("mardi 5 janvier à 10\u{a0}h\u{a0}30"),
            "the current time is shown"
        );
        assert!(
            stale.contains(r#"value="Absent""#) || stale.contains(">Absent</textarea>"),
            "the reason is kept"
        );
        assert_eq!(appointments(&app).await[0].status, AppointmentStatus::Booked);

        // Sent again from the fresh form, it goes through, back to the agenda.
        let done = v
            .post(
                &cancel_path,
                &[
                    ("csrf", &stale.csrf()),
                    ("sequence", "1"),
                    ("retour", "agenda"),
                    ("reason", "Absent"),
                ],
            )
            .await;
        assert_eq!(
            done.location(),
            format!("/staff?jour=2027-01-05&fait=annule#rdv-{}", a.id)
        );
        assert!(v.get(&done.location()).await.contains("Rendez-vous annulé."));
    }
);

db_test!(
    async fn a_walk_in_is_booked_with_a_name_alone_now_or_at_the_next_free_slot_of_the_day(app: TestApp) {
        let p = point(&app, 1).await;
        let v = signed_in(&app, "admin@arles.example").await;
        let day = format!("/staff/lieux/{}", p.place);
        let page = v.get(&day).await;
        assert!(page.contains("Accueillir une personne sur place"));
        assert!(
            !v.get(&format!("{day}?jour=2027-01-05"))
                .await
                .contains("Accueillir une personne sur place"),
            "today only"
        );
        let action = format!("{day}/sur-place");
        let motif = p.motif.to_string();
        let csrf = page.csrf();

        let blank = v
            .post(
                &action,
                &[
                    ("csrf", &csrf),
                    ("name", " "),
                    ("motif", &motif),
                    ("quand", "maintenant"),
                ],
            )
            .await;
        assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            blank.contains(r##"<a href="#name">Indiquez le nom de la personne"##),
            "{}",
            blank.body
        );
        assert!(appointments(&app).await.is_empty(), "nothing booked");

        // 9:10: the 9:00 slot, under way for ten minutes, is "now".
        app.state.clock.advance(Duration::minutes(10));
        let done = v
            .post(
                &action,
                &[
                    ("csrf", &csrf),
                    ("name", "Marcel Roux"),
                    ("motif", &motif),
                    ("quand", "maintenant"),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let marcel = appointments(&app).await.pop().unwrap();
        assert_eq!(
            done.location(),
            format!("{day}?jour=2027-01-04&fait=sur-place#rdv-{}", marcel.id)
        );
        assert_eq!(
            (
                marcel.name.as_str(),
                marcel.email.as_deref(),
                marcel.phone_key.as_deref()
            ),
            ("Marcel Roux", None, None),
            "a name alone"
        );
        assert_eq!(
            marcel.phone.as_deref(),
            Some(""),
            "stored empty, as retention leaves it"
        );
        assert_eq!(
            (marcel.starts_at, marcel.booked_by),
            (paris(2027, 1, 4, 9, 0), BookedBy::Staff)
        );

        // The only desk is taken now, and 9:30 is twenty minutes away: not "now".
        let busy = v
            .post(
                &action,
                &[
                    ("csrf", &csrf),
                    ("name", "Jeanne Blanc"),
                    ("motif", &motif),
                    ("quand", "maintenant"),
                ],
            )
            .await;
        assert_eq!(busy.status, StatusCode::CONFLICT);
        assert!(busy.contains("Aucun poste n'est libre maintenant pour ce motif"));
        assert!(busy.contains(r#"value="Jeanne Blanc""#), "the name is kept");
        assert_eq!(appointments(&app).await.len(), 1);

        let next = v
            .post(
                &action,
                &[
                    ("csrf", &csrf),
                    ("name", "Jeanne Blanc"),
                    ("motif", &motif),
                    ("quand", "prochain"),
                ],
            )
            .await;
        assert_eq!(next.status, StatusCode::SEE_OTHER);
        let jeanne = appointments(&app).await.pop().unwrap();
        assert_eq!(
            (jeanne.name.as_str(), jeanne.starts_at),
            ("Jeanne Blanc", paris(2027, 1, 4, 9, 30))
        );
        assert_claims_match(&app).await;

        let page = v.get(&next.location()).await;
        assert!(page.contains("Personne accueillie"));
        assert!(page.contains("Marcel Roux") && page.contains("Jeanne Blanc"));
    }
);

db_test!(
    async fn the_recorded_outcome_is_shown_as_a_badge_with_its_word_on_the_day_and_in_the_agenda(app: TestApp) {
        let p = point(&app, 2).await;
        let a = josette(&app, p.place, p.motif).await;
        app.state.clock.set(paris(2027, 1, 5, 10, 5));
        let v = signed_in(&app, "admin@arles.example").await;
        let day = format!("/staff/lieux/{}?jour=2027-01-05", p.place);
        let page = v.get(&day).await;
        assert!(page.contains(r#"class="status status-booked">État : <strong>Prévu</strong>"#));
        let marked = v
            .post(
                &format!("/staff/rendez-vous/{}/marquer", a.id),
                &[("csrf", &page.csrf()), ("outcome", "no_show")],
            )
            .await;
        assert_eq!(marked.status, StatusCode::SEE_OTHER);
        let page = v.get(&day).await;
        assert!(
            page.contains(r#"class="status status-no-show">État : <strong>Absent</strong>"#),
            "{}",
            page.body
        );
        assert!(
            !page.contains(&format!("/staff/rendez-vous/{}/annuler", a.id)),
            "a marked appointment is not cancelled"
        );
        let agenda = v.get("/staff").await;
        assert!(agenda.contains(r#"<span class="status status-no-show"><strong>Absent</strong></span>"#));
        let desk = appointments(&app).await[0].desk;
        assert!(agenda.contains(&format!("poste {desk}")));
    }
);
