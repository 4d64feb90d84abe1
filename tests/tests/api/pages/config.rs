//! The configuration pages (`/staff/reglages`): places, opening rules, closures, reasons,
//! the workshop catalogue, staff accounts and their invitations; and the last-admin rule,
//! on the pages and in the API.
use creneau::auth::Role;
use creneau_tests::{app::TestApp, db_test};
use entities::kinds::{AppointmentStatus, Event};
use entities::{opening_rule, place, place_motif, staff_invitation, staff_member, workshop};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::Visitor;
use crate::appointments::{mediation_point, paris, point};
use crate::helpers::*;

const PASSWORD: &str = "mot-de-passe-solide";

/// The path of the invitation link shown on a page.
fn invitation_path(body: &str) -> String {
    let body = body.replace("&#x2f;", "/");
    let at = body.find("/staff/invitation/").expect("an invitation link");
    let rest = &body[at..];
    rest[..rest.find(['"', '<']).unwrap()].to_string()
}

async fn place_named(app: &TestApp, name: &str) -> place::Model {
    place::Entity::find()
        .filter(place::Column::Name.eq(name))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("the place")
}

db_test!(
    async fn coordinators_open_the_settings_and_facilitators_are_refused(app: TestApp) {
        let (org, _) = app.organisation("arles").await;
        app.staff(org, "coordination@arles.example", Role::Coordinator).await;
        app.staff(org, "animation@arles.example", Role::Facilitator).await;

        let v = Visitor::new(&app);
        v.sign_in("coordination@arles.example", PASSWORD).await;
        let index = v.get("/staff/reglages").await;
        assert_eq!(index.status, StatusCode::OK);
        assert!(
            index.contains(r#"href="/staff/reglages" aria-current="page">Réglages</a>"#),
            "{}",
            index.body
        );
        for link in [
            "/staff/reglages/lieux",
            "/staff/reglages/motifs",
            "/staff/reglages/ateliers",
        ] {
            assert!(index.contains(link), "{link}");
            assert_eq!(v.get(link).await.status, StatusCode::OK, "{link}");
        }
        assert!(!index.contains("/staff/reglages/comptes"), "accounts are for admins");
        assert_eq!(v.get("/staff/reglages/comptes").await.status, StatusCode::FORBIDDEN);

        let f = Visitor::new(&app);
        f.sign_in("animation@arles.example", PASSWORD).await;
        assert!(!f.get("/staff").await.contains("/staff/reglages"), "no menu entry");
        for path in [
            "/staff/reglages",
            "/staff/reglages/lieux",
            "/staff/reglages/lieux/nouveau",
            "/staff/reglages/motifs",
        ] {
            assert_eq!(f.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
        }
    }
);

db_test!(
    async fn a_place_form_keeps_what_was_typed_says_what_is_wrong_and_refuses_a_stale_edit(app: TestApp) {
        app.organisation("arles").await;
        let (_, other_admin) = app.organisation("tarascon").await;
        let theirs = mediation_point(&app, &other_admin, "Mairie de Tarascon", 1).await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let new = "/staff/reglages/lieux/nouveau";
        let fields = |name: &'static str, desks: &'static str| {
            vec![
                ("name", name),
                ("kind", "mediation_point"),
                ("address", "Place Vincent Auriol"),
                ("postal_code", "13200"),
                ("city", "Arles"),
                ("desks", desks),
                ("equipment", "Deux ordinateurs"),
                ("active", "oui"),
            ]
        };
        let bad = v.submit(new, new, &fields("  ", "0")).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.contains(r##"<a href="#name">Indiquez le nom du lieu.</a>"##),
            "{}",
            bad.body
        );
        assert!(bad.contains("Indiquez un nombre de guichets de 1 à 20."));
        assert!(
            bad.contains(r#"value="Place Vincent Auriol""#),
            "what was typed is kept"
        );
        assert!(bad.contains(r#"aria-describedby="name-erreur""#));
        assert!(
            place::Entity::find().all(&app.state.db).await.unwrap().len() == 1,
            "nothing saved"
        );

        let done = v.submit(new, new, &fields("Griffeuille", "2")).await;
        assert_eq!(done.location(), "/staff/reglages/lieux?fait=cree");
        let saved = place_named(&app, "Griffeuille").await;
        assert_eq!(
            (saved.desks, saved.close_on_public_holidays, saved.active),
            (2, false, true)
        );
        assert!(v.get(&done.location()).await.contains("Le lieu est ajouté."));

        // Two agents open the same form; the second to save is told, nothing overwritten.
        let path = format!("/staff/reglages/lieux/{}", saved.id);
        let first = v.get(&path).await;
        let second = v.get(&path).await;
        let version = |p: &crate::pages::Page| {
            let at = p.body.find(r#"name="version" value=""#).unwrap() + r#"name="version" value=""#.len();
            p.body[at..at + 16].to_string()
        };
        let mut edit = fields("Griffeuille", "3");
        let (csrf, v1) = (first.csrf(), version(&first));
        edit.extend([("csrf", csrf.as_str()), ("version", v1.as_str())]);
        assert_eq!(
            v.post(&path, &edit).await.location(),
            "/staff/reglages/lieux?fait=modifie"
        );
        let mut late = fields("Griffeuille-Nord", "1");
        let (csrf, v2) = (second.csrf(), version(&second));
        late.extend([("csrf", csrf.as_str()), ("version", v2.as_str())]);
        let stale = v.post(&path, &late).await;
        assert_eq!(stale.status, StatusCode::CONFLICT);
        assert!(stale.contains("modifiées par quelqu'un d'autre"));
        assert!(stale.contains(r#"value="3""#), "the current values are shown");
        assert_eq!(place_named(&app, "Griffeuille").await.desks, 3);

        // Another organisation's place does not exist here.
        for p in [
            format!("/staff/reglages/lieux/{theirs}"),
            format!("/staff/reglages/lieux/{theirs}/horaires"),
        ] {
            assert_eq!(v.get(&p).await.status, StatusCode::NOT_FOUND, "{p}");
        }
    }
);

db_test!(
    async fn opening_rules_are_added_with_chosen_weeks_refused_off_the_quarter_hour_and_deleted(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let place = mediation_point(&app, &admin, "Le Sambuc", 1).await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let page = format!("/staff/reglages/lieux/{place}/horaires");
        let action = format!("{page}/regles");
        let bad = v
            .submit(
                &page,
                &action,
                &[
                    ("rule_weekday", "3"),
                    ("rule_start_time", "13:10"),
                    ("rule_end_time", "17:00"),
                    ("rule_weeks", "1"),
                    ("rule_weeks", "3"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.contains(r##"<a href="#rule_start_time">Heure attendue au format HH:MM, sur un quart d'heure"##),
            "{}",
            bad.body
        );
        assert!(
            bad.contains(r#"id="rule_weeks-3" name="rule_weeks" value="3" checked"#),
            "ticked weeks kept"
        );
        let reversed = v
            .submit(
                &page,
                &action,
                &[
                    ("rule_weekday", "3"),
                    ("rule_start_time", "13:30"),
                    ("rule_end_time", "17:00"),
                    ("rule_valid_from", "2027-06-01"),
                    ("rule_valid_to", "2027-03-01"),
                ],
            )
            .await;
        assert!(reversed.contains("La date de fin de validité doit suivre la date de début."));

        let ok = v
            .submit(
                &page,
                &action,
                &[
                    ("rule_weekday", "3"),
                    ("rule_start_time", "13:30"),
                    ("rule_end_time", "17:00"),
                    ("rule_weeks", "1"),
                    ("rule_weeks", "3"),
                ],
            )
            .await;
        assert_eq!(ok.location(), format!("{page}?fait=regle"));
        let rules = opening_rule::Entity::find().all(&app.state.db).await.unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!((rules[0].weekday, rules[0].weeks_of_month.as_deref()), (3, Some("1,3")));
        let shown = v.get(&ok.location()).await;
        assert!(shown.contains("mercredis du mois"), "{}", shown.body);

        let delete = format!("/staff/reglages/regles/{}/supprimer", rules[0].id);
        assert_eq!(
            v.post(&delete, &[("csrf", &shown.csrf())]).await.location(),
            format!("{page}?fait=regle-supprimee")
        );
        assert!(
            opening_rule::Entity::find()
                .all(&app.state.db)
                .await
                .unwrap()
                .is_empty()
        );
    }
);

db_test!(
    async fn a_closure_lists_the_appointments_it_overlaps_and_cancels_them_telling_each_resident(app: TestApp) {
        let p = point(&app, 1).await;
        let tuesday_ten = paris(2027, 1, 5, 10, 0);
        crate::appointments::booked(&app, &p, tuesday_ten, "Ahmed Haddad", "ahmed@exemple.fr").await;
        crate::appointments::booked(&app, &p, paris(2027, 1, 5, 14, 0), "Lucie Martin", "lucie@exemple.fr").await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let page = format!("/staff/reglages/lieux/{}/horaires", p.place);
        let action = format!("/staff/reglages/lieux/{}/fermetures", p.place);
        let closing = |end: &'static str| {
            vec![
                ("closure_start_date", "2027-01-05"),
                ("closure_start_time", "09:00"),
                ("closure_end_date", "2027-01-05"),
                ("closure_end_time", end),
                ("closure_reason", "Travaux dans la salle"),
            ]
        };
        let bad = v.submit(&page, &action, &closing("08:00")).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.contains("La fin de la fermeture doit suivre son début."),
            "{}",
            bad.body
        );
        assert!(bad.contains(r#"value="Travaux dans la salle""#));

        let created = v.submit(&page, &action, &closing("12:00")).await;
        let closure_page = created.location().replace("?fait=creee", "");
        let shown = v.get(&created.location()).await;
        assert!(shown.contains("La fermeture est enregistrée."));
        assert!(shown.contains("Ahmed Haddad"), "{}", shown.body);
        assert!(!shown.contains("Lucie Martin"), "the afternoon is not closed");
        assert!(shown.contains("Annuler ce rendez-vous et prévenir les personnes"));

        let done = v
            .post(
                &format!("{closure_page}/annuler-rendez-vous"),
                &[("csrf", &shown.csrf())],
            )
            .await;
        assert_eq!(done.location(), format!("{closure_page}?fait=annules&n=1"));
        let rows = crate::appointments::appointments(&app).await;
        let status = |n: &str| rows.iter().find(|a| a.name == n).unwrap().status;
        assert_eq!(status("Ahmed Haddad"), AppointmentStatus::Cancelled);
        assert_eq!(status("Lucie Martin"), AppointmentStatus::Booked);
        let ahmed = rows.iter().find(|a| a.name == "Ahmed Haddad").unwrap();
        assert_eq!(ahmed.cancel_reason.as_deref(), Some("Travaux dans la salle"));
        let told = outbox_rows(&app)
            .await
            .into_iter()
            .any(|r| r.kind == Event::AppointmentCancelled && r.recipient_email.as_deref() == Some("ahmed@exemple.fr"));
        assert!(told, "the resident is told");
        let after = v.get(&done.location()).await;
        assert!(after.contains("1 rendez-vous annulé : les personnes sont prévenues."));
        assert!(after.contains("Aucun rendez-vous pris pendant cette fermeture."));
    }
);

db_test!(
    async fn reasons_and_catalogue_entries_are_created_and_edited_with_the_api_s_rules(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let place = mediation_point(&app, &admin, "Trinquetaille", 2).await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let new = "/staff/reglages/motifs/nouveau";
        let place_id = place.to_string();
        let motif = |minutes: &'static str| {
            vec![
                ("label", "Impôts"),
                ("duration_minutes", minutes),
                ("bookable_online", "oui"),
                ("min_notice_minutes", "120"),
                ("horizon_days", "60"),
                ("instructions", "Votre dernier avis d'imposition."),
                ("active", "oui"),
            ]
        };
        let mut fields = motif("50");
        fields.push(("place_ids", &place_id));
        let bad = v.submit(new, new, &fields).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.contains("La durée d'un rendez-vous est un multiple de 15 minutes"),
            "{}",
            bad.body
        );
        assert!(
            bad.contains(&format!(r#"name="place_ids" value="{place}" checked"#)),
            "ticked places kept"
        );
        let mut fields = motif("45");
        fields.push(("place_ids", &place_id));
        assert_eq!(
            v.submit(new, new, &fields).await.location(),
            "/staff/reglages/motifs?fait=cree"
        );
        let offered = place_motif::Entity::find().all(&app.state.db).await.unwrap();
        assert_eq!(offered.iter().map(|pm| pm.place_id).collect::<Vec<_>>(), [place]);

        let new = "/staff/reglages/ateliers/nouveau";
        let entry = |title: &'static str| {
            vec![
                ("title", title),
                ("summary", "Pas à pas"),
                ("level", "Débutant"),
                ("default_duration_minutes", "90"),
                ("default_capacity", "8"),
                ("active", "oui"),
            ]
        };
        let bad = v.submit(new, new, &entry(" ")).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.contains("Indiquez le titre de l'atelier."));
        assert_eq!(
            v.submit(new, new, &entry("Envoyer un e-mail")).await.location(),
            "/staff/reglages/ateliers?fait=cree"
        );
        let w = workshop::Entity::find().one(&app.state.db).await.unwrap().unwrap();
        let path = format!("/staff/reglages/ateliers/{}", w.id);
        let form = v.get(&path).await;
        let at = form.body.find(r#"name="version" value=""#).unwrap() + r#"name="version" value=""#.len();
        let version = form.body[at..at + 16].to_string();
        let csrf = form.csrf();
        let mut edit = entry("Envoyer un e-mail avec une pièce jointe");
        edit.retain(|(k, _)| *k != "active");
        edit.extend([("csrf", csrf.as_str()), ("version", version.as_str())]);
        assert_eq!(
            v.post(&path, &edit).await.location(),
            "/staff/reglages/ateliers?fait=modifie"
        );
        let w = workshop::Entity::find_by_id(w.id)
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (w.title.as_str(), w.active),
            ("Envoyer un e-mail avec une pièce jointe", false)
        );
    }
);

db_test!(
    async fn an_admin_creates_an_account_whose_invitation_link_sets_the_password_once(app: TestApp) {
        app.organisation("arles").await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let new = "/staff/reglages/comptes/nouveau";
        let bad = v
            .submit(
                new,
                new,
                &[("name", "Inès Martin"), ("email", "ines@"), ("role", "coordinator")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.contains("Indiquez l'adresse e-mail professionnelle de la personne"),
            "{}",
            bad.body
        );
        assert!(bad.contains(r#"value="Inès Martin""#));
        let taken = v
            .submit(
                new,
                new,
                &[("name", "Autre"), ("email", "admin@arles.example"), ("role", "admin")],
            )
            .await;
        assert!(taken.contains("Un compte existe déjà avec cette adresse."));

        let shown = v
            .submit(
                new,
                new,
                &[
                    ("name", "Inès Martin"),
                    ("email", "ines@arles.example"),
                    ("role", "coordinator"),
                ],
            )
            .await;
        assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
        assert!(shown.contains("Compte créé pour Inès Martin"));
        let link = invitation_path(&shown.body);
        let raw = link.trim_start_matches("/staff/invitation/");
        let stored = staff_invitation::Entity::find().all(&app.state.db).await.unwrap();
        assert_eq!(stored.len(), 1);
        assert_ne!(stored[0].token_hash, raw, "only the hash is stored");
        assert_eq!(stored[0].expires_at, app.now() + chrono::Duration::days(7));
        assert!(v.get("/staff/reglages/comptes").await.contains("Invitation en attente"));

        // Nobody signs in before the password is chosen.
        let ines = Visitor::new(&app);
        assert_eq!(
            ines.sign_in("ines@arles.example", "n'importe lequel").await.status,
            StatusCode::UNAUTHORIZED
        );
        let form = ines.get(&link).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.contains("Bonjour Inès Martin"));
        let short = ines
            .post(
                &link,
                &[("csrf", &form.csrf()), ("password", "court"), ("confirmation", "court")],
            )
            .await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(short.contains("Choisissez un mot de passe de 10 à 200 caractères."));
        let set = ines
            .post(
                &link,
                &[
                    ("csrf", &form.csrf()),
                    ("password", "une phrase facile"),
                    ("confirmation", "une phrase facile"),
                ],
            )
            .await;
        assert_eq!(set.location(), "/staff/connexion?fait=mot-de-passe");
        assert_eq!(
            ines.sign_in("ines@arles.example", "une phrase facile").await.location(),
            "/staff"
        );
        assert!(
            ines.get("/staff/reglages").await.status == StatusCode::OK,
            "a coordinator"
        );

        // The link served once.
        let again = Visitor::new(&app).get(&link).await;
        assert_eq!(again.status, StatusCode::NOT_FOUND);
        assert!(again.contains("Ce lien n'est plus valable"));
    }
);

db_test!(
    async fn an_invitation_expires_after_seven_days_and_deactivating_an_account_revokes_it(app: TestApp) {
        app.organisation("arles").await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let new = "/staff/reglages/comptes/nouveau";
        let shown = v
            .submit(
                new,
                new,
                &[
                    ("name", "Paul Roux"),
                    ("email", "paul@arles.example"),
                    ("role", "facilitator"),
                ],
            )
            .await;
        let first = invitation_path(&shown.body);
        let paul = staff_member::Entity::find()
            .filter(staff_member::Column::Email.eq("paul@arles.example"))
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        app.state.clock.advance(chrono::Duration::days(7));
        assert_eq!(
            Visitor::new(&app).get(&first).await.status,
            StatusCode::NOT_FOUND,
            "expired"
        );
        v.sign_in("admin@arles.example", PASSWORD).await;

        let list = v.get("/staff/reglages/comptes").await;
        let again = v
            .post(
                &format!("/staff/reglages/comptes/{}/lien", paul.id),
                &[("csrf", &list.csrf())],
            )
            .await;
        assert!(again.contains("Nouveau lien pour Paul Roux"));
        let second = invitation_path(&again.body);
        assert_eq!(Visitor::new(&app).get(&second).await.status, StatusCode::OK);

        let list = v.get("/staff/reglages/comptes").await;
        let at = list
            .body
            .find(&format!(r#"action="/staff/reglages/comptes/{}""#, paul.id))
            .unwrap();
        let vat = list.body[at..].find(r#"name="version" value=""#).unwrap() + at + r#"name="version" value=""#.len();
        let version = list.body[vat..vat + 16].to_string();
        let off = v
            .post(
                &format!("/staff/reglages/comptes/{}", paul.id),
                &[("csrf", &list.csrf()), ("version", &version), ("active", "non")],
            )
            .await;
        assert_eq!(off.location(), "/staff/reglages/comptes?fait=desactive");
        assert_eq!(
            Visitor::new(&app).get(&second).await.status,
            StatusCode::NOT_FOUND,
            "revoked"
        );
    }
);

db_test!(
    async fn the_last_active_admin_can_neither_demote_nor_deactivate_themselves_on_the_page(app: TestApp) {
        let (org, _) = app.organisation("arles").await;
        let (_, other) = app.organisation("tarascon").await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let me = staff_member::Entity::find()
            .filter(staff_member::Column::Email.eq("admin@arles.example"))
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        let list = v.get("/staff/reglages/comptes").await;
        let at = list.body.find(r#"name="version" value=""#).unwrap() + r#"name="version" value=""#.len();
        let version = list.body[at..at + 16].to_string();
        let path = format!("/staff/reglages/comptes/{}", me.id);
        for change in [("role", "coordinator"), ("active", "non")] {
            let refused = v
                .post(&path, &[("csrf", &list.csrf()), ("version", &version), change])
                .await;
            assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{change:?}");
            assert!(
                refused.contains("C'est le dernier compte administrateur actif"),
                "{}",
                refused.body
            );
        }
        let me_now = staff_member::Entity::find_by_id(me.id)
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((me_now.role, me_now.active), (Role::Admin, true), "nothing changed");

        // With a second admin, stepping down works.
        app.staff(org, "second@arles.example", Role::Admin).await;
        let step_down = v
            .post(
                &path,
                &[("csrf", &list.csrf()), ("version", &version), ("role", "coordinator")],
            )
            .await;
        assert_eq!(step_down.location(), "/staff/reglages/comptes?fait=role");

        // Another organisation's account does not exist here.
        let theirs: serde_json::Value =
            json(app.request(Method::GET, "/api/v1/auth/me", Some(&other), None).await).await;
        let page = Visitor::new(&app);
        page.sign_in("second@arles.example", PASSWORD).await;
        let list = page.get("/staff/reglages/comptes").await;
        let theirs = format!("/staff/reglages/comptes/{}", theirs["id"]);
        let resp = page.post(&theirs, &[("csrf", &list.csrf()), ("active", "non")]).await;
        assert_eq!(resp.status, StatusCode::NOT_FOUND);
    }
);

db_test!(
    async fn the_last_active_admin_can_neither_demote_nor_deactivate_themselves_through_the_api(app: TestApp) {
        let (org, admin) = app.organisation("arles").await;
        let (_, other) = app.organisation("tarascon").await;
        let me: serde_json::Value = json(app.request(Method::GET, "/api/v1/auth/me", Some(&admin), None).await).await;
        let path = format!("/api/v1/admin/staff/{}", me["id"]);
        for body in [json!({"role": "coordinator"}), json!({"active": false})] {
            let resp = app.request(Method::PATCH, &path, Some(&admin), Some(body)).await;
            let message = problem(resp, 422, "last_admin").await;
            assert!(message.contains("dernier compte administrateur actif"), "{message}");
        }
        // Another organisation's admin is not found.
        let resp = app
            .request(Method::PATCH, &path, Some(&other), Some(json!({"active": false})))
            .await;
        problem(resp, 404, "not_found").await;

        let second = app.staff(org, "second@arles.example", Role::Admin).await;
        let resp = app
            .request(Method::PATCH, &path, Some(&second), Some(json!({"active": false})))
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(json(resp).await["active"], false);
        // Deactivation revokes the account's tokens at once.
        let gone = app.request(Method::GET, "/api/v1/auth/me", Some(&admin), None).await;
        assert_eq!(gone.status(), 401);
        // And now the second admin is the last one.
        let me2: serde_json::Value = json(app.request(Method::GET, "/api/v1/auth/me", Some(&second), None).await).await;
        let resp = app
            .request(
                Method::PATCH,
                &format!("/api/v1/admin/staff/{}", me2["id"]),
                Some(&second),
                Some(json!({"role": "facilitator"})),
            )
            .await;
        problem(resp, 422, "last_admin").await;
    }
);

/// The version carried by the edit form of a page.
fn form_version(p: &crate::pages::Page) -> String {
    let at = p.body.find(r#"name="version" value=""#).expect("a version field") + r#"name="version" value=""#.len();
    p.body[at..at + 16].to_string()
}

/// Owned form fields as `post` takes them.
fn borrowed<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

db_test!(
    async fn an_opening_rule_and_an_extra_opening_are_edited_on_the_schedule_page_and_a_stale_form_is_refused(
        app: TestApp,
    ) {
        let p = point(&app, 1).await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let schedule = format!("/staff/reglages/lieux/{}/horaires", p.place);
        let monday = opening_rule::Entity::find()
            .filter(opening_rule::Column::Weekday.eq(1))
            .filter(opening_rule::Column::PlaceId.eq(p.place))
            .all(&app.state.db)
            .await
            .unwrap()
            .into_iter()
            .min_by_key(|r| r.start_time)
            .unwrap();
        let path = format!("/staff/reglages/regles/{}", monday.id);
        assert!(
            v.get(&schedule)
                .await
                .contains(&format!(r#"href="{path}#formulaire-horaire""#))
        );

        let first = v.get(&path).await;
        assert_eq!(first.status, StatusCode::OK);
        assert!(first.contains("Modifier l'horaire"), "{}", first.body);
        assert!(first.contains(r#"value="09:00""#), "the stored hours are filled in");
        let second = v.get(&path).await;
        let rule = |start: &'static str, csrf: String, version: String| {
            vec![
                ("rule_weekday", "1".to_string()),
                ("rule_start_time", start.to_string()),
                ("rule_end_time", "12:00".to_string()),
                ("csrf", csrf),
                ("version", version),
            ]
        };
        let bad = v
            .post(&path, &borrowed(&rule("10:10", first.csrf(), form_version(&first))))
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.contains("sur un quart d'heure"), "{}", bad.body);
        assert!(bad.contains(r#"value="10:10""#), "what was typed is kept");
        assert!(bad.contains("Modifier l'horaire"), "still the edit form");

        let ok = v
            .post(&path, &borrowed(&rule("10:00", first.csrf(), form_version(&first))))
            .await;
        assert_eq!(ok.location(), format!("{schedule}?fait=regle-modifiee"));
        let saved = opening_rule::Entity::find_by_id(monday.id)
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(saved.start_time.format("%H:%M").to_string(), "10:00");
        assert!(v.get(&ok.location()).await.contains("L'horaire est modifié."));

        let late = v
            .post(&path, &borrowed(&rule("11:00", second.csrf(), form_version(&second))))
            .await;
        assert_eq!(late.status, StatusCode::CONFLICT);
        assert!(late.contains("modifiées par quelqu'un d'autre"));
        assert!(late.contains(r#"value="10:00""#), "the current values are shown");
        let kept = opening_rule::Entity::find_by_id(monday.id)
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(kept.start_time.format("%H:%M").to_string(), "10:00");

        // An extra opening, added then edited.
        let added = v
            .submit(
                &schedule,
                &format!("{schedule}/ouvertures"),
                &[
                    ("extra_date", "2027-01-09"),
                    ("extra_start_time", "09:00"),
                    ("extra_end_time", "12:00"),
                ],
            )
            .await;
        assert_eq!(added.location(), format!("{schedule}?fait=ouverture"));
        let extra = entities::extra_opening::Entity::find()
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        let extra_path = format!("/staff/reglages/ouvertures/{}", extra.id);
        let form = v.get(&extra_path).await;
        assert!(form.contains("Modifier l'ouverture exceptionnelle"), "{}", form.body);
        let (csrf, version) = (form.csrf(), form_version(&form));
        let fields = [
            ("extra_date", "2027-01-09"),
            ("extra_start_time", "10:00"),
            ("extra_end_time", "12:30"),
            ("extra_note", "Permanence impôts"),
            ("csrf", csrf.as_str()),
            ("version", version.as_str()),
        ];
        assert_eq!(
            v.post(&extra_path, &fields).await.location(),
            format!("{schedule}?fait=ouverture-modifiee")
        );
        let extra = entities::extra_opening::Entity::find_by_id(extra.id)
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (extra.start_time.format("%H:%M").to_string(), extra.note.as_deref()),
            ("10:00".to_string(), Some("Permanence impôts"))
        );
    }
);

db_test!(
    async fn an_edited_closure_lists_the_appointments_of_its_new_period_to_cancel(app: TestApp) {
        let p = point(&app, 1).await;
        crate::appointments::booked(&app, &p, paris(2027, 1, 5, 10, 0), "Ahmed Haddad", "ahmed@exemple.fr").await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let schedule = format!("/staff/reglages/lieux/{}/horaires", p.place);
        let closing = |end: &'static str| {
            vec![
                ("closure_start_date", "2027-01-05"),
                ("closure_start_time", "09:00"),
                ("closure_end_date", "2027-01-05"),
                ("closure_end_time", end),
                ("closure_reason", "Travaux dans la salle"),
            ]
        };
        let created = v
            .submit(
                &schedule,
                &format!("/staff/reglages/lieux/{}/fermetures", p.place),
                &closing("10:00"),
            )
            .await;
        let closure_page = created.location().replace("?fait=creee", "");
        let shown = v.get(&closure_page).await;
        assert!(shown.contains("Aucun rendez-vous pris pendant cette fermeture."));
        let edit = format!("{closure_page}/modifier");
        assert!(shown.contains(&format!(r#"href="{edit}#formulaire-fermeture""#)));

        let form = v.get(&edit).await;
        assert!(form.contains("Modifier la fermeture"), "{}", form.body);
        assert!(form.contains(r#"value="Travaux dans la salle""#));
        let (csrf, version) = (form.csrf(), form_version(&form));
        let mut reversed = closing("08:00");
        reversed.extend([("csrf", csrf.as_str()), ("version", version.as_str())]);
        let bad = v.post(&edit, &reversed).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.contains("La fin de la fermeture doit suivre son début."));
        assert!(bad.contains("Modifier la fermeture"), "still the edit form");

        let mut longer = closing("12:00");
        longer.extend([("csrf", csrf.as_str()), ("version", version.as_str())]);
        let done = v.post(&edit, &longer).await;
        assert_eq!(done.location(), format!("{closure_page}?fait=modifiee"));
        let after = v.get(&done.location()).await;
        assert!(after.contains("La fermeture est modifiée."));
        assert!(after.contains("Ahmed Haddad"), "{}", after.body);
        assert!(after.contains("Annuler ce rendez-vous et prévenir les personnes"));
        let row = crate::appointments::appointments(&app).await;
        assert_eq!(
            row[0].status,
            AppointmentStatus::Booked,
            "kept until the agent confirms"
        );
    }
);

db_test!(
    async fn the_api_creates_an_account_without_a_password_and_answers_its_invitation_link_once(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let body = json!({"email": "ines@arles.example", "name": "Inès Martin", "role": "coordinator"});
        let resp = app
            .request(Method::POST, "/api/v1/admin/staff", Some(&admin), Some(body))
            .await;
        assert_eq!(resp.status(), 201);
        let created: serde_json::Value = json(resp).await;
        assert_eq!(created["email"], "ines@arles.example");
        assert_eq!(created["role"], "coordinator");
        let url = created["invitation"]["url"]
            .as_str()
            .expect("the invitation link")
            .to_string();
        assert_eq!(
            created["invitation"]["expires_at"]
                .as_str()
                .unwrap()
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap(),
            app.now() + chrono::Duration::days(7)
        );
        let link = url[url.find("/staff/invitation/").expect("an invitation link")..].to_string();
        let stored = staff_invitation::Entity::find().all(&app.state.db).await.unwrap();
        assert_eq!(stored.len(), 1);
        assert_ne!(stored[0].token_hash, link.trim_start_matches("/staff/invitation/"));
        let listed = app
            .request(Method::GET, "/api/v1/admin/staff", Some(&admin), None)
            .await;
        assert!(
            !listed.text().await.unwrap().contains("/staff/invitation/"),
            "shown once"
        );

        let ines = Visitor::new(&app);
        assert_eq!(
            ines.sign_in("ines@arles.example", "n'importe lequel").await.status,
            StatusCode::UNAUTHORIZED
        );
        let form = ines.get(&link).await;
        assert!(form.contains("Bonjour Inès Martin"), "{}", form.body);
        let set = ines
            .post(
                &link,
                &[
                    ("csrf", &form.csrf()),
                    ("password", "une phrase facile"),
                    ("confirmation", "une phrase facile"),
                ],
            )
            .await;
        assert_eq!(set.location(), "/staff/connexion?fait=mot-de-passe");
        assert_eq!(
            ines.sign_in("ines@arles.example", "une phrase facile").await.location(),
            "/staff"
        );

        // With a password, as before: no link.
        let body = json!({
            "email": "paul@arles.example", "name": "Paul Durand", "role": "facilitator",
            "password": "mot-de-passe-solide"
        });
        let resp = app
            .request(Method::POST, "/api/v1/admin/staff", Some(&admin), Some(body))
            .await;
        assert_eq!(resp.status(), 201);
        assert!(json(resp).await.get("invitation").is_none());
        // Invited or not, the same address twice is refused, and a bad one is said in French.
        let again = json!({"email": "ines@arles.example", "name": "Inès", "role": "admin"});
        let resp = app
            .request(Method::POST, "/api/v1/admin/staff", Some(&admin), Some(again))
            .await;
        problem(resp, 409, "email_taken").await;
        let bad = json!({"email": "ines@", "name": "Inès", "role": "admin"});
        let resp = app
            .request(Method::POST, "/api/v1/admin/staff", Some(&admin), Some(bad))
            .await;
        let message = problem(resp, 422, "validation").await;
        assert!(message.contains("adresse e-mail"), "{message}");
    }
);

/// The value of the hidden `version` field of a form.
fn version_field(body: &str) -> String {
    let at = body.find(r#"name="version" value=""#).expect("a version field");
    let rest = &body[at + r#"name="version" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

db_test!(
    async fn the_organisation_page_groups_its_labelled_fields_and_says_beside_each_what_is_wrong(app: TestApp) {
        let (org, _) = app.organisation("arles").await;
        app.staff(org, "coordination@arles.example", Role::Coordinator).await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let index = v.get("/staff/reglages").await;
        assert!(
            index.contains(r#"<a href="/staff/reglages/organisation">Organisation</a>"#),
            "{}",
            index.body
        );

        const PAGE: &str = "/staff/reglages/organisation";
        let page = v.get(PAGE).await;
        assert_eq!(page.status, StatusCode::OK);
        // No budget is an empty field, which the form takes back as "no limit".
        assert!(!page.body.to_lowercase().contains(r#"value="none""#), "{}", page.body);
        assert!(page.contains("<legend>Coordonnées</legend>"), "{}", page.body);
        assert!(page.contains("<legend>SMS</legend>"));
        for field in [
            "name",
            "contact_email",
            "contact_phone",
            "sms_sender",
            "sms_monthly_budget",
        ] {
            assert!(page.contains(&format!(r#"<label for="{field}">"#)), "{field}");
            assert!(page.contains(&format!(r#"id="{field}-aide""#)), "{field} has a hint");
        }
        assert!(page.contains("0 segment ce mois-ci (pas de limite)"), "{}", page.body);

        let version = version_field(&page.body);
        let refused = v
            .submit(
                PAGE,
                PAGE,
                &[
                    ("version", &version),
                    ("name", "Ville d'Arles"),
                    ("contact_email", "contact@arles.example"),
                    ("contact_phone", ""),
                    ("sms_sender", "VilleArlés"),
                    ("sms_monthly_budget", "cinq cents"),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.title().starts_with("Erreur : "), "{}", refused.title());
        assert!(refused.contains(r#"id="sms_sender-erreur""#), "{}", refused.body);
        assert!(refused.contains("sans accent"));
        assert!(refused.contains(r#"value="VilleArlés""#), "what was typed is kept");
        assert!(refused.contains(r#"id="sms_monthly_budget-erreur""#));
        assert!(refused.contains("Indiquez un nombre entier de segments"));

        let saved = v
            .submit(
                PAGE,
                PAGE,
                &[
                    ("version", &version),
                    ("name", "Ville d'Arles"),
                    ("contact_email", "contact@arles.example"),
                    ("contact_phone", "0490493636"),
                    ("sms_sender", "VilleArles"),
                    ("sms_monthly_budget", "500"),
                ],
            )
            .await;
        assert_eq!(saved.location(), "/staff/reglages/organisation?fait=modifie");
        let page = v.get(&saved.location()).await;
        assert!(
            page.contains("Les réglages de l&#x27;organisation sont enregistrés."),
            "{}",
            page.body
        );
        assert!(page.contains("0 segment sur 500 ce mois-ci"));
        assert!(page.contains(r#"value="04 90 49 36 36""#));
        let org = entities::organisation::Entity::find_by_id(org)
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(org.sms_monthly_budget, Some(500));
        assert_eq!(org.sms_sender.as_deref(), Some("VilleArles"));

        // A form opened before that change says so instead of overwriting it.
        let stale = v
            .submit(
                PAGE,
                PAGE,
                &[
                    ("version", &version),
                    ("name", "Autre nom"),
                    ("contact_email", "contact@arles.example"),
                    ("sms_sender", "VilleArles"),
                ],
            )
            .await;
        assert_eq!(stale.status, StatusCode::CONFLICT);

        // Coordinators read the settings; only admins change them.
        let c = Visitor::new(&app);
        c.sign_in("coordination@arles.example", PASSWORD).await;
        let read = c.get(PAGE).await;
        assert_eq!(read.status, StatusCode::OK);
        assert!(read.contains("Seul un administrateur peut changer ces réglages."));
        assert!(!read.contains(r#"<form method="post" action="/staff/reglages/organisation""#));
        let forbidden = c
            .submit(
                PAGE,
                PAGE,
                &[("name", "X"), ("contact_email", "x@exemple.fr"), ("sms_sender", "X")],
            )
            .await;
        assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    }
);
