//! Appointments with the forms: a resident books, moves and cancels; staff book on a
//! resident's behalf and record whether they came.
use chrono::Duration;
use creneau_tests::db_test;
use entities::kinds::{AppointmentStatus, BookedBy};
use reqwest::StatusCode;

use super::Visitor;
use crate::appointments::{appointments, book, paris, point, tuesday_ten, z};

db_test!(
    async fn a_resident_books_moves_and_cancels_an_appointment_one_question_per_page(app: TestApp) {
        let p = point(&app, 1).await;
        let v = Visitor::new(&app);
        let places = v.get("/prendre-rendez-vous").await;
        assert!(places.contains("Maison publique de Trinquetaille"));
        assert!(
            places.contains(
                "lun., mar., mer., jeu., ven.\u{a0}: 9\u{a0}h\u{a0}– 12\u{a0}h, 13\u{a0}h\u{a0}30\u{a0}– 17\u{a0}h"
            ),
            "opening hours condensed: {}",
            places.body
        );
        assert!(
            places.contains(r#"<a href="tel:0490184673">04 90 18 46 73</a>"#),
            "tap to call"
        );
        assert!(places.contains(&format!(r#"href="/prendre-rendez-vous/{}""#, p.place)));

        let motifs = v.get(&format!("/prendre-rendez-vous/{}", p.place)).await;
        assert!(motifs.contains("CAF"));
        assert!(
            motifs.contains("Apportez une pièce d'identité"),
            "the reason's instructions"
        );
        let base = format!("/prendre-rendez-vous/{}/{}", p.place, p.motif);
        assert!(motifs.contains(&format!(r#"href="{base}""#)));

        let slots = v.get(&base).await;
        assert!(
            slots.contains("mardi 5 janvier</h2>") && slots.contains("lundi 4 janvier</h2>"),
            "grouped by day: {}",
            slots.body
        );
        let ten = tuesday_ten();
        let pick = format!("{base}/coordonnees?debut={}", z(ten));
        assert!(slots.contains(&format!(r#"href="{pick}""#)));

        let details = v.get(&pick).await;
        assert!(details.contains("mardi 5 janvier à 10\u{a0}h"));
        let refused = v
            .post(
                &format!("{base}/coordonnees"),
                &[
                    ("csrf", &details.csrf()),
                    ("start", &z(ten)),
                    ("name", "Ahmed"),
                    ("note", "CAF"),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.contains(r##"<a href="#phone">Indiquez une adresse e-mail ou un numéro de téléphone"##));
        assert!(refused.contains("CAF</textarea>"), "the note is kept");
        assert!(appointments(&app).await.is_empty());

        let done = v
            .post(
                &format!("{base}/coordonnees"),
                &[
                    ("csrf", &details.csrf()),
                    ("start", &z(ten)),
                    ("name", "Ahmed Haddad"),
                    ("phone", "06 12 34 56 78"),
                    ("accessibility_needs", "Malentendant"),
                ],
            )
            .await;
        let manage = done.location();
        assert!(manage.starts_with("/rendez-vous/"), "{manage}");
        let token = manage.trim_start_matches("/rendez-vous/").to_string();
        let page = v.get(&manage).await;
        assert!(page.contains("Votre rendez-vous est confirmé"));
        assert!(page.contains("mardi 5 janvier à 10\u{a0}h"));
        assert!(page.contains(&format!("/api/v1/appointments/{token}/invite.ics")));
        assert!(page.contains(&format!("http://127.0.0.1/rendez-vous/{token}")));
        let stored = appointments(&app).await;
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].accessibility_needs.as_deref(), Some("Malentendant"));
        assert_eq!(stored[0].booked_by, BookedBy::Resident);

        // Move: the current slot is not offered; the new one is confirmed on its own page.
        let choose = v.get(&format!("{manage}/deplacer")).await;
        assert!(!choose.contains(&format!("debut={}", z(ten))));
        let eleven = ten + Duration::hours(1);
        let confirm_path = format!("{manage}/deplacer/confirmer?debut={}", z(eleven));
        assert!(choose.contains(&format!(r#"href="{confirm_path}""#)));
        let confirm = v.get(&confirm_path).await;
        assert!(confirm.contains("mardi 5 janvier à 11\u{a0}h"));
        assert_eq!(appointments(&app).await[0].starts_at, ten, "choosing is not moving");
        let moved = v
            .post(
                &format!("{manage}/deplacer/confirmer"),
                &[("csrf", &confirm.csrf()), ("start", &z(eleven))],
            )
            .await;
        assert_eq!(moved.location(), manage);
        assert_eq!(appointments(&app).await[0].starts_at, eleven);
        let page = v.get(&manage).await;
        assert!(
            page.contains("<h1>Votre rendez-vous a été déplacé</h1>"),
            "{}",
            page.body
        );
        assert!(page.contains("<dt>Ancien horaire</dt><dd><s>mardi 5 janvier à 10\u{a0}h</s>"));
        assert!(page.contains("<dt>Nouvel horaire</dt><dd>mardi 5 janvier à 11\u{a0}h"));

        let ask = v.get(&format!("{manage}/annuler")).await;
        assert!(ask.contains("Annuler votre rendez-vous ?"));
        let cancelled = v.post(&format!("{manage}/annuler"), &[("csrf", &ask.csrf())]).await;
        assert_eq!(cancelled.location(), manage);
        assert!(v.get(&manage).await.contains("Votre rendez-vous est annulé"));
        assert_eq!(appointments(&app).await[0].status, AppointmentStatus::Cancelled);
    }
);

db_test!(
    async fn a_slot_taken_meanwhile_is_refused_in_words_and_the_details_are_kept(app: TestApp) {
        let p = point(&app, 1).await;
        let ten = tuesday_ten();
        let v = Visitor::new(&app);
        let base = format!("/prendre-rendez-vous/{}/{}", p.place, p.motif);
        let details = v.get(&format!("{base}/coordonnees?debut={}", z(ten))).await;
        // Someone else books the same slot first.
        assert_eq!(
            book(&app, p.place, p.motif, ten, "Ana", Some("ana@exemple.fr"), None)
                .await
                .status(),
            201
        );
        let late = v
            .post(
                &format!("{base}/coordonnees"),
                &[
                    ("csrf", &details.csrf()),
                    ("start", &z(ten)),
                    ("name", "Bob"),
                    ("phone", "0612345678"),
                ],
            )
            .await;
        assert_eq!(late.status, StatusCode::CONFLICT);
        assert!(late.contains("Ce créneau vient d'être réservé par quelqu'un d'autre"));
        assert!(late.contains(r#"value="Bob""#));
        assert_eq!(appointments(&app).await.len(), 1);
        // The nearest free slots are offered right there; the taken one is not.
        assert!(late.contains("Choisissez un autre horaire"), "{}", late.body);
        let half_past = ten + Duration::minutes(30);
        assert!(late.contains(&format!(r#"name="start" value="{}""#, z(half_past))));
        assert!(late.contains(&format!(r#"name="start" value="{}""#, z(ten - Duration::minutes(30)))));
        assert!(!late.contains(&format!(r#"name="start" value="{}""#, z(ten))));
        let (csrf, wanted, other) = (late.csrf(), z(ten), z(half_past));
        let mut fields = vec![
            ("csrf", csrf.as_str()),
            ("wanted", wanted.as_str()),
            ("name", "Bob"),
            ("phone", "0612345678"),
        ];
        // No choice made: asked again, nothing booked.
        let again = v.post(&format!("{base}/coordonnees"), &fields).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(again.contains("Choisissez l'un des horaires proposés."));
        assert!(again.contains(r#"value="Bob""#));
        fields.push(("start", other.as_str()));
        let chosen = fields;
        let done = v.post(&format!("{base}/coordonnees"), &chosen).await;
        assert!(done.location().starts_with("/rendez-vous/"));
        let booked = appointments(&app).await;
        assert_eq!(booked.len(), 2);
        assert!(booked.iter().any(|a| a.name == "Bob" && a.starts_at == half_past));
        // A bad link is a French page, not a JSON problem.
        let bad = v.get(&format!("/rendez-vous/{}", "x".repeat(43))).await;
        assert_eq!(bad.status, StatusCode::NOT_FOUND);
        assert!(bad.header("content-type").starts_with("text/html"));
    }
);

db_test!(
    async fn staff_book_on_a_residents_behalf_and_record_that_they_came(app: TestApp) {
        let p = point(&app, 1).await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", "mot-de-passe-solide").await;
        let choose = v
            .get(&format!("/staff/lieux/{}/reserver?jour=2027-01-05", p.place))
            .await;
        assert!(choose.contains("CAF"));
        let slots = v
            .get(&format!(
                "/staff/lieux/{}/reserver?motif={}&jour=2027-01-05",
                p.place, p.motif
            ))
            .await;
        let ten = tuesday_ten();
        assert!(slots.contains(&format!("debut={}", z(ten))), "{}", slots.body);
        let form_path = format!("/staff/lieux/{}/reserver?motif={}&debut={}", p.place, p.motif, z(ten));
        let done = v
            .submit(
                &form_path,
                &format!("/staff/lieux/{}/reserver", p.place),
                &[
                    ("motif", &p.motif.to_string()),
                    ("start", &z(ten)),
                    ("name", "Lucienne Fabre"),
                    ("phone", "04 90 11 22 33"),
                ],
            )
            .await;
        let day = done.location();
        assert_eq!(day, format!("/staff/lieux/{}?jour=2027-01-05&fait=reserve", p.place));
        let a = appointments(&app).await.pop().unwrap();
        assert_eq!(
            (a.booked_by, a.phone.as_deref()),
            (BookedBy::Staff, Some("+33490112233"))
        );

        let page = v.get(&day).await;
        assert!(page.contains("Lucienne Fabre"));
        assert!(page.contains("04 90 11 22 33"));
        assert!(page.contains("La présence se note à partir de l'heure du rendez-vous."));
        assert!(
            v.get("/staff?jour=2027-01-05")
                .await
                .contains("Rendez-vous : Lucienne Fabre"),
            "in the day's agenda"
        );

        app.state.clock.set(paris(2027, 1, 5, 10, 5));
        // A day later the session of yesterday has expired (12 hours): sign in again.
        assert!(v.get(&day).await.location().ends_with("/staff/connexion"));
        v.sign_in("admin@arles.example", "mot-de-passe-solide").await;
        let page = v.get(&day).await;
        let marked = v
            .post(
                &format!("/staff/rendez-vous/{}/marquer", a.id),
                &[("csrf", &page.csrf()), ("outcome", "honoured")],
            )
            .await;
        assert_eq!(
            marked.location(),
            format!("/staff/lieux/{}?jour=2027-01-05&fait=note#rdv-{}", p.place, a.id)
        );
        assert_eq!(
            appointments(&app).await.pop().unwrap().status,
            AppointmentStatus::Honoured
        );
        assert!(v.get(&day).await.contains("<strong>Venu</strong>"));
    }
);

db_test!(
    async fn a_date_far_outside_the_calendar_in_a_page_url_is_ignored_rather_than_crashing(app: TestApp) {
        let p = point(&app, 1).await;
        let v = Visitor::new(&app);
        // Year 262142: date arithmetic on it used to overflow and close the connection.
        let page = v
            .get(&format!(
                "/prendre-rendez-vous/{}/{}?a_partir=%2B262142-12-31",
                p.place, p.motif
            ))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.contains("lundi 4 janvier</h2>"),
            "today's slots instead: {}",
            page.body
        );
    }
);
