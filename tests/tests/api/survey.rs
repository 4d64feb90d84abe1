//! The satisfaction survey: offered once after attendance (e-mail and SMS, in the outbox
//! transaction), at most once a week per person, never to those who refused; a single-use
//! link that expires; answers that nothing ties to a booking or a person; results shown only
//! from five answers.
use chrono::Duration;
use creneau::platform::token;
use creneau_tests::{app::TestApp, db_test};
use entities::kinds::{Channel, Event};
use entities::{outbox, survey_answer, survey_invitation};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, Statement};
use serde_json::{Value, json};

use crate::{
    appointments::{booked, point, tuesday_ten},
    helpers::*,
    notifications_support::*,
    pages::Visitor,
};

const PASSWORD: &str = "mot-de-passe-solide";

async fn survey_rows(app: &TestApp) -> Vec<outbox::Model> {
    outbox_rows(app)
        .await
        .into_iter()
        .filter(|r| r.kind == Event::SurveyInvitation)
        .collect()
}

/// The link's token of a queued invitation, as the worker will derive it.
fn token_of(app: &TestApp, row: &outbox::Model) -> String {
    let p: Value = serde_json::from_str(&row.payload).unwrap();
    token::manage_token(app.state.settings.secret(), p["manage_key"].as_str().expect("a key"))
}

async fn registered(app: &TestApp, session_id: i32, name: &str, email: Option<&str>, phone: Option<&str>) -> i64 {
    let resp = app.register(session_id, name, email, phone).await;
    assert_eq!(resp.status(), 201, "registering {name}");
    json(resp).await["id"].as_i64().unwrap()
}

async fn attendance(app: &TestApp, admin: &str, id: i64, value: &str) {
    let resp = app
        .request(
            Method::PUT,
            &format!("/api/v1/admin/registrations/{id}/attendance"),
            Some(admin),
            Some(json!({"attendance": value})),
        )
        .await;
    assert_eq!(resp.status(), 200, "marking {id} {value}");
}

async fn admin(app: &TestApp) -> String {
    app.login("admin@arles.example", PASSWORD).await
}

/// A workshop session `days` days after the epoch with `people` registered by e-mail, the
/// clock moved to its start, everyone marked present; answers the invitations' tokens.
async fn attended_workshop(app: &TestApp, people: usize) -> (creneau_tests::app::Fixture, Vec<String>) {
    let (_, a) = app.organisation("arles").await;
    let f = app.session_with(&a, 8, 0).await;
    let mut ids = Vec::new();
    for n in 0..people {
        ids.push(
            registered(
                app,
                f.session_id,
                &format!("Personne {n}"),
                Some(&format!("p{n}@exemple.fr")),
                None,
            )
            .await,
        );
    }
    app.state.clock.advance(Duration::hours(5));
    for id in ids {
        attendance(app, &a, id, "present").await;
    }
    let tokens = survey_rows(app).await.iter().map(|r| token_of(app, r)).collect();
    (f, tokens)
}

async fn answers(app: &TestApp) -> u64 {
    survey_answer::Entity::find().count(&app.state.db).await.unwrap()
}

mail_test!(
    async fn marking_an_appointment_honoured_mails_one_french_survey_link_about_le_rendez_vous(
        app: TestApp,
        smtp: TestSmtpServer,
    ) {
        let p = point(&app, 1).await;
        booked(&app, &p, tuesday_ten(), "Jeanne Martin", "jeanne@exemple.fr").await;
        let id = crate::appointments::appointments(&app).await[0].id;
        app.state.clock.set(tuesday_ten() + Duration::minutes(40));
        let admin = admin(&app).await;
        let mark = |outcome: &'static str| {
            let admin = admin.clone();
            let app = &app;
            async move {
                let resp = app
                    .request(
                        Method::PUT,
                        &format!("/api/v1/admin/appointments/{id}/outcome"),
                        Some(&admin),
                        Some(json!({ "outcome": outcome })),
                    )
                    .await;
                assert_eq!(resp.status(), 200);
            }
        };
        mark("honoured").await;
        // Corrections and a second "honoured" send nothing more.
        mark("no_show").await;
        mark("honoured").await;
        let rows = survey_rows(&app).await;
        assert_eq!(rows.len(), 1, "one invitation per booking");
        assert_eq!(rows[0].channel, Channel::Email);
        let invitation = survey_invitation::Entity::find().all(&app.state.db).await.unwrap();
        assert_eq!(invitation.len(), 1);
        assert_eq!(
            (invitation[0].motif_id, invitation[0].workshop_id),
            (Some(p.motif), None)
        );
        assert_eq!(invitation[0].month, "2027-01");

        drain(&app, &mailer(&app)).await;
        let mail = mails_to(&smtp, "jeanne@exemple.fr")
            .into_iter()
            .find(|m| m.subject.as_deref().is_some_and(|s| s.starts_with("Votre avis")))
            .expect("the survey mail");
        assert_eq!(mail.subject.as_deref(), Some("Votre avis sur le rendez-vous « CAF »"));
        let text = mail.text.clone().unwrap();
        assert!(text.starts_with("Bonjour Jeanne Martin,"), "{text}");
        assert!(text.contains("Comment s'est passé le rendez-vous ?"), "{text}");
        assert!(text.contains("anonymes"), "{text}");
        let link = text
            .lines()
            .find(|l| l.contains("/avis/") && !l.contains("/avis/stop/"))
            .expect("the survey link")
            .trim()
            .to_string();
        assert!(text.contains("/avis/stop/"), "the way to refuse: {text}");
        assert!(mail.html.as_deref().unwrap().contains("Donner mon avis"));
        // Once sent, the outbox keeps no working link.
        let sent = &survey_rows(&app).await[0];
        assert!(
            !sent.payload.contains("manage_key") && !sent.payload.contains("/avis/"),
            "{}",
            sent.payload
        );

        let path = &link[link.find("/avis/").unwrap()..];
        let page = Visitor::new(&app).get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.contains("Votre avis sur le rendez-vous « CAF »"), "{}", page.body);
        assert!(page.contains("comment s'est passé le rendez-vous ?"));
        assert!(!page.body.contains("type=\"email\""), "no e-mail field");
    }
);

db_test!(
    async fn presence_at_a_workshop_offers_the_survey_once_a_week_at_most_by_email_and_by_sms(app: TestApp) {
        let (_, a) = app.organisation("arles").await;
        let first = app.session_with(&a, 8, 0).await;
        let second = app.session_with(&a, 8, 2).await;
        let third = app.session_with(&a, 8, 9).await;
        let mut ids = Vec::new();
        for f in [first, second, third] {
            ids.push(
                registered(
                    &app,
                    f.session_id,
                    "Jeanne Martin",
                    Some("jeanne@exemple.fr"),
                    Some("06 12 34 56 78"),
                )
                .await,
            );
        }
        // A phone alone, SMS accepted by default.
        let ahmed = registered(&app, first.session_id, "Ahmed Haddad", None, Some("06 98 76 54 32")).await;

        app.state.clock.advance(Duration::hours(5));
        attendance(&app, &a, ids[0], "present").await;
        attendance(&app, &a, ahmed, "absent").await;
        assert_eq!(survey_rows(&app).await.len(), 1, "the absent get nothing");
        attendance(&app, &a, ahmed, "present").await;
        let rows = survey_rows(&app).await;
        let channels: Vec<_> = rows.iter().map(|r| (r.booking_id, r.channel)).collect();
        assert_eq!(
            channels,
            [
                (Some(ids[0] as i32), Channel::Email),
                (Some(ahmed as i32), Channel::Sms)
            ],
            "Jeanne gave an e-mail and did not accept SMS; Ahmed only a mobile"
        );
        let p: Value = serde_json::from_str(&rows[0].payload).unwrap();
        assert_eq!(p["booking"], "registration");
        assert_eq!(p["title"], "Créer mon compte citoyen");

        // Two days later: within the week, nothing.
        app.state.clock.advance(Duration::days(2));
        let a = admin(&app).await;
        attendance(&app, &a, ids[1], "present").await;
        assert_eq!(survey_rows(&app).await.len(), 2);
        // A week after the first one: again.
        app.state.clock.advance(Duration::days(7));
        let a = admin(&app).await;
        attendance(&app, &a, ids[2], "present").await;
        assert_eq!(survey_rows(&app).await.len(), 3);

        // The SMS carries the link, in GSM letters.
        let mailer = creneau::notifications::worker::mailer(&app.state.settings).unwrap();
        while let creneau::notifications::worker::DeliveryOutcome::Delivered(_) =
            creneau::notifications::worker::try_deliver_batch(&app.state, &mailer, "test", 50)
                .await
                .unwrap()
        {}
        let sms: Vec<String> = std::fs::read_dir(&app.state.settings.sms_dir)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .filter(|t| t.contains("/avis/"))
            .collect();
        assert_eq!(sms.len(), 1, "{sms:?}");
        assert!(sms[0].contains("Merci d'etre venu à l'atelier"), "{}", sms[0]);
        assert!(sms[0].contains("/avis/stop/"), "{}", sms[0]);
    }
);

db_test!(
    async fn a_person_who_refused_surveys_is_never_asked_again(app: TestApp) {
        let (_, a) = app.organisation("arles").await;
        let first = app.session_with(&a, 8, 0).await;
        let later = app.session_with(&a, 8, 10).await;
        let one = registered(&app, first.session_id, "Jeanne", Some("jeanne@exemple.fr"), None).await;
        let two = registered(&app, later.session_id, "Jeanne", Some("jeanne@exemple.fr"), None).await;
        app.state.clock.advance(Duration::hours(5));
        attendance(&app, &a, one, "present").await;
        let rows = survey_rows(&app).await;
        let p: Value = serde_json::from_str(&rows[0].payload).unwrap();
        let stop = p["survey_stop_url"].as_str().unwrap();
        let path = &stop[stop.find("/avis/stop/").unwrap()..];

        let v = Visitor::new(&app);
        let done = v.submit(path, path, &[]).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        assert!(done.contains("Vous ne recevrez plus de questionnaire"), "{}", done.body);
        // A wrong stop link is a kind 404.
        let wrong = v.get(&format!("/avis/stop/{}", token::generate())).await;
        assert_eq!(wrong.status, StatusCode::NOT_FOUND);

        app.state.clock.advance(Duration::days(10));
        let a = admin(&app).await;
        attendance(&app, &a, two, "present").await;
        assert_eq!(survey_rows(&app).await.len(), 1, "nothing after the refusal");
    }
);

db_test!(
    async fn a_survey_is_answered_once_and_a_second_submit_is_refused_and_records_nothing(app: TestApp) {
        let (f, tokens) = attended_workshop(&app, 1).await;
        let path = format!("/avis/{}", tokens[0]);
        let v = Visitor::new(&app);
        let form = v.get(&path).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        assert!(
            form.contains("Votre avis sur l'atelier « Créer mon compte citoyen »"),
            "{}",
            form.body
        );
        assert!(form.contains("N'écrivez pas de données personnelles"));
        let csrf = form.csrf();
        let fields = [
            ("csrf", csrf.as_str()),
            ("smiley", "good"),
            ("clarity", "4"),
            ("help", "proche"),
            ("help", "association"),
            ("reached", "oui"),
            ("quality", "5"),
            ("comment", "Très clair, merci."),
        ];
        let thanks = v.post(&path, &fields).await;
        assert_eq!(thanks.status, StatusCode::OK, "{}", thanks.body);
        assert!(thanks.contains("Merci pour votre avis"));
        let stored = survey_answer::Entity::find().all(&app.state.db).await.unwrap();
        assert_eq!(stored.len(), 1);
        let s = &stored[0];
        assert_eq!(s.smiley, survey_answer::Smiley::Good);
        assert_eq!(
            (s.clarity, s.help_quality, s.reached_administration),
            (Some(4), Some(5), Some(true))
        );
        assert_eq!(s.help_used.as_deref(), Some("proche,association"));
        assert_eq!(
            (s.place_id, s.workshop_id, s.motif_id),
            (f.place_id, Some(f.workshop_id), None)
        );
        assert_eq!(s.month, "2027-01");
        // The invitation is gone: nothing is left that pairs the link with the answer.
        assert_eq!(survey_invitation::Entity::find().count(&app.state.db).await.unwrap(), 0);

        let again = v.post(&path, &fields).await;
        assert_eq!(again.status, StatusCode::GONE, "{}", again.body);
        assert!(
            again.contains("Vous avez déjà répondu à ce questionnaire"),
            "{}",
            again.body
        );
        let reopened = v.get(&path).await;
        assert_eq!(reopened.status, StatusCode::GONE);
        assert_eq!(answers(&app).await, 1, "the second submit recorded nothing");
        let unknown = v.get(&format!("/avis/{}", token::generate())).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert!(unknown.contains("Ce lien de questionnaire n'est pas valable"));
    }
);

db_test!(
    async fn a_survey_link_is_refused_after_fourteen_days(app: TestApp) {
        let (_, tokens) = attended_workshop(&app, 2).await;
        let v = Visitor::new(&app);
        app.state.clock.advance(Duration::days(13));
        let open = v.get(&format!("/avis/{}", tokens[0])).await;
        assert_eq!(open.status, StatusCode::OK, "still open on the 13th day");
        let csrf = open.csrf();
        app.state.clock.advance(Duration::days(2));
        let late = v.get(&format!("/avis/{}", tokens[1])).await;
        assert_eq!(late.status, StatusCode::GONE, "{}", late.body);
        assert!(late.contains("Ce questionnaire n'est plus ouvert"), "{}", late.body);
        let post = v
            .post(&format!("/avis/{}", tokens[0]), &[("csrf", &csrf), ("smiley", "bad")])
            .await;
        assert_eq!(post.status, StatusCode::GONE);
        assert_eq!(answers(&app).await, 0, "nothing recorded");
    }
);

db_test!(
    async fn a_survey_without_its_smiley_says_so_beside_the_field_and_records_nothing(app: TestApp) {
        let (_, tokens) = attended_workshop(&app, 1).await;
        let path = format!("/avis/{}", tokens[0]);
        let v = Visitor::new(&app);
        let page = v.submit(&path, &path, &[("clarity", "3"), ("comment", "Bien")]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
        assert!(page.title().starts_with("Erreur : "), "{}", page.title());
        assert!(page.body.contains(r#"id="smiley-erreur""#), "{}", page.body);
        assert!(page.contains("choisissez une des trois réponses"));
        assert!(
            page.body.contains(r#"value="3" checked"#),
            "what was chosen stays chosen"
        );
        assert_eq!(answers(&app).await, 0);
        let ok = v.submit(&path, &path, &[("smiley", "average")]).await;
        assert_eq!(ok.status, StatusCode::OK, "the link still works: {}", ok.body);
        assert_eq!(answers(&app).await, 1);
    }
);

db_test!(
    async fn results_are_hidden_under_five_answers_and_shown_at_five(app: TestApp) {
        let (f, tokens) = attended_workshop(&app, 6).await;
        let org = survey_invitation::Entity::find().all(&app.state.db).await.unwrap()[0].organisation_id;
        let v = Visitor::new(&app);
        let smileys = ["good", "good", "average", "bad", "good"];
        for (t, smiley) in tokens.iter().zip(smileys).take(4) {
            let path = format!("/avis/{t}");
            let clarity = if smiley == "bad" { "2" } else { "5" };
            assert_eq!(
                v.submit(&path, &path, &[("smiley", smiley), ("clarity", clarity)])
                    .await
                    .status,
                200
            );
        }
        let results = |w| creneau::survey::results(&app.state.db, org, "2027-01", "2027-01", None, w, None);
        assert_eq!(
            results(Some(f.workshop_id)).await.unwrap(),
            None,
            "four answers: hidden"
        );
        let a = admin(&app).await;
        let path = format!(
            "/api/v1/admin/survey/results?from=2027-01&to=2027-01&workshop_id={}",
            f.workshop_id
        );
        let hidden = json(app.request(Method::GET, &path, Some(&a), None).await).await;
        assert_eq!(hidden["shown"], false, "{hidden}");
        assert!(hidden.get("answers").is_none_or(Value::is_null), "{hidden}");
        let staff = Visitor::new(&app);
        staff.sign_in("admin@arles.example", PASSWORD).await;
        let page = staff.get("/staff/avis?du=2027-01&au=2027-01").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(
            page.contains("Pas assez de réponses pour afficher un résultat (moins de 5)"),
            "{}",
            page.body
        );

        let path5 = format!("/avis/{}", tokens[4]);
        assert_eq!(v.submit(&path5, &path5, &[("smiley", "good")]).await.status, 200);
        let r = results(Some(f.workshop_id))
            .await
            .unwrap()
            .expect("five answers: shown");
        assert_eq!((r.answers, r.good, r.average, r.bad), (5, 3, 1, 1));
        assert_eq!(r.mean_clarity, Some((5.0 + 5.0 + 5.0 + 2.0) / 4.0));
        assert_eq!(r.invitations, 6);
        assert_eq!(r.response_rate, Some(5.0 / 6.0));
        assert_eq!(results(None).await.unwrap().map(|r| r.answers), Some(5));
        let shown = json(app.request(Method::GET, &path, Some(&a), None).await).await;
        assert_eq!(
            (shown["shown"].clone(), shown["answers"].clone(), shown["good"].clone()),
            (json!(true), json!(5), json!(3)),
            "{shown}"
        );
        let page = staff.get("/staff/avis?du=2027-01&au=2027-01").await;
        assert!(!page.contains("Pas assez de réponses"), "{}", page.body);
        assert!(page.contains("83 %"), "the response rate: {}", page.body);
        // The statistics of the period carry the same results.
        let stats = json(
            app.request(
                Method::GET,
                "/api/v1/admin/stats?from=2027-01-01&to=2027-01-31",
                Some(&a),
                None,
            )
            .await,
        )
        .await;
        assert_eq!(stats["survey"]["answers"], 5, "{stats}");
        assert!((stats["survey"]["share_good"].as_f64().unwrap() - 0.6).abs() < 1e-9);
        // Another organisation sees none of it.
        let (_, other) = app.organisation("tarascon").await;
        let theirs = json(app.request(Method::GET, &path, Some(&other), None).await).await;
        assert_eq!(theirs["shown"], false);
        let bad = app
            .request(
                Method::GET,
                "/api/v1/admin/survey/results?from=janvier&to=2027-01",
                Some(&a),
                None,
            )
            .await;
        let message = problem(bad, 422, "validation").await;
        assert!(message.contains("AAAA-MM"), "{message}");
    }
);

/// The columns of `table`, as the database has them.
async fn columns(app: &TestApp, table: &str) -> Vec<String> {
    let db = &app.state.db;
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => format!("SELECT name FROM pragma_table_info('{table}') ORDER BY name"),
        _ => format!(
            "SELECT column_name AS name FROM information_schema.columns WHERE table_name = '{table}' ORDER BY column_name"
        ),
    };
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "name").unwrap())
        .collect()
}

db_test!(
    async fn an_answer_has_no_column_that_ties_it_to_a_booking_or_a_person(app: TestApp) {
        let mut expected = vec![
            "clarity",
            "comment",
            "help_quality",
            "help_used",
            "id",
            "month",
            "motif_id",
            "organisation_id",
            "place_id",
            "reached_administration",
            "smiley",
            "workshop_id",
        ];
        expected.sort();
        assert_eq!(columns(&app, "survey_answer").await, expected);
        // Beyond the filing columns, nothing is shared with the bookings' tables.
        let filing = ["id", "organisation_id", "place_id", "workshop_id", "motif_id"];
        for booking in ["registration", "appointment"] {
            let theirs = columns(&app, booking).await;
            let shared: Vec<_> = expected
                .iter()
                .filter(|c| theirs.iter().any(|t| t == *c) && !filing.contains(c))
                .collect();
            assert!(shared.is_empty(), "{booking} shares {shared:?}");
        }
        // The invitation names no booking and no person either.
        let invitation = columns(&app, "survey_invitation").await;
        for c in [
            "booking_id",
            "registration_id",
            "appointment_id",
            "email",
            "phone",
            "name",
            "created_at",
        ] {
            assert!(!invitation.iter().any(|i| i == c), "{c} in {invitation:?}");
        }

        // And a stored answer carries no time finer than the month, and a random id.
        let (_, tokens) = attended_workshop(&app, 1).await;
        let path = format!("/avis/{}", tokens[0]);
        Visitor::new(&app).submit(&path, &path, &[("smiley", "good")]).await;
        let a = &survey_answer::Entity::find().all(&app.state.db).await.unwrap()[0];
        assert_eq!(a.month.len(), 7);
        assert!(
            a.id.len() == 43 && a.id.parse::<i64>().is_err(),
            "a random id, not a sequence: {}",
            a.id
        );
    }
);

db_test!(
    async fn the_privacy_page_says_what_is_kept_and_for_how_long(app: TestApp) {
        let v = Visitor::new(&app);
        let home = v.get("/accessibilite").await;
        assert!(
            home.contains(r#"href="/donnees-personnelles""#),
            "linked from every footer"
        );
        let page = v.get("/donnees-personnelles").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.contains("effacées 24 mois après la date de votre atelier ou de votre rendez-vous"),
            "{}",
            page.body
        );
        assert!(page.contains("Qui peut les voir"));
        assert!(page.contains("Vos réponses sont <strong>anonymes</strong>"));
    }
);

db_test!(
    async fn survey_invitations_past_their_fourteen_days_are_purged_daily_and_their_links_still_say_so(app: TestApp) {
        use creneau::notifications::worker;
        use creneau::retention::{self, ERASED_NAME, RunOutcome};
        let (f, tokens) = attended_workshop(&app, 3).await;
        let v = Visitor::new(&app);
        // One answered, one refused, one left unanswered.
        let path = format!("/avis/{}", tokens[0]);
        let csrf = v.get(&path).await.csrf();
        assert_eq!(
            v.post(&path, &[("csrf", &csrf), ("smiley", "good")]).await.status,
            StatusCode::OK
        );
        let p: Value = serde_json::from_str(&survey_rows(&app).await[1].payload).unwrap();
        let stop = p["survey_stop_url"].as_str().unwrap();
        let stop = &stop[stop.find("/avis/stop/").unwrap()..];
        assert_eq!(v.submit(stop, stop, &[]).await.status, StatusCode::OK);
        let mailer = worker::mailer(&app.state.settings).unwrap();
        while let worker::DeliveryOutcome::Delivered(_) =
            worker::try_deliver_batch(&app.state, &mailer, "survey-test", 50)
                .await
                .unwrap()
        {}
        let holds_contact = |rows: &[outbox::Model]| {
            rows.iter()
                .filter(|r| r.recipient_email.is_some() || r.payload.contains("exemple.fr"))
                .count()
        };

        // On the 13th day the links still work: nothing is purged.
        app.state.clock.advance(Duration::days(13));
        let RunOutcome::Ran(erased) = retention::run_if_due(&app.state).await.unwrap() else {
            panic!("the day's run");
        };
        assert_eq!(erased.survey_invitations, 0);
        assert_eq!(survey_invitation::Entity::find().count(&app.state.db).await.unwrap(), 2);
        assert_eq!(holds_contact(&survey_rows(&app).await), 3);

        app.state.clock.advance(Duration::days(2));
        let RunOutcome::Ran(erased) = retention::run_if_due(&app.state).await.unwrap() else {
            panic!("the next day's run");
        };
        assert_eq!(erased.survey_invitations, 2, "the refused and the unanswered one");
        assert_eq!(survey_invitation::Entity::find().count(&app.state.db).await.unwrap(), 0);
        let rows = survey_rows(&app).await;
        assert_eq!(rows.len(), 3, "the rows stay: one survey per booking, ever");
        assert_eq!(holds_contact(&rows), 0);
        for r in &rows {
            assert_eq!(r.recipient_name, ERASED_NAME);
            assert!(r.recipient_phone.is_none());
            let payload: Value = serde_json::from_str(&r.payload).unwrap();
            assert!(payload["survey_stop_url"].is_null() && payload["manage_key"].is_null());
        }
        // The refusal is kept, and so are the bookings' own contacts.
        let refused = entities::survey_contact::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.refused_at.is_some())
            .count();
        assert_eq!(refused, 1);
        assert_eq!(
            registrations(&app, f.session_id).await[2].email.as_deref(),
            Some("p2@exemple.fr")
        );
        assert_eq!(answers(&app).await, 1);

        // The links still say what they are.
        let late = v.get(&format!("/avis/{}", tokens[2])).await;
        assert_eq!(late.status, StatusCode::GONE, "{}", late.body);
        assert!(late.contains("Ce questionnaire n'est plus ouvert"), "{}", late.body);
        let answered = v.get(&path).await;
        assert_eq!(answered.status, StatusCode::GONE);
        assert!(answered.contains("Vous avez déjà répondu"), "{}", answered.body);
    }
);
