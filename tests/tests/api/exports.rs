//! Exports: a session's registrants and a period's appointments, read back by a CSV reader
//! and by openpyxl, with formulas inert; empty exports; the export log.
use chrono::Duration;
use creneau_tests::{db_test, spreadsheet};
use entities::{activity_record, export_log};
use reqwest::{Method, StatusCode};
use sea_orm::{EntityTrait, QueryOrder};

use crate::appointments::{book, mediation_point, paris, point};
use crate::helpers::*;
use crate::pages::Visitor;

const HYPERLINK: &str = "=HYPERLINK(\"http://x\",\"y\")";

async fn download(app: &creneau_tests::app::TestApp, token: &str, path: &str) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let resp = app.request(Method::GET, path, Some(token), None).await;
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    let headers = resp.headers().clone();
    (headers, resp.bytes().await.unwrap().to_vec())
}

/// The CSV's header and rows, after checking the byte-order mark and the line ends.
fn read_csv(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "a UTF-8 byte-order mark first");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(text.ends_with("\r\n"), "CRLF line ends");
    let mut reader = csv::ReaderBuilder::new().from_reader(&bytes[3..]);
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn column(header: &[String], title: &str) -> usize {
    header
        .iter()
        .position(|h| h == title)
        .unwrap_or_else(|| panic!("no column {title} in {header:?}"))
}

async fn logged(app: &creneau_tests::app::TestApp) -> Vec<export_log::Model> {
    export_log::Entity::find()
        .order_by_asc(export_log::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
}

db_test!(
    async fn a_session_s_registrants_read_back_from_csv_and_xlsx_with_the_formula_inert(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 5, 3).await;
        let r = app
            .register(f.session_id, HYPERLINK, Some("hyper@exemple.fr"), None)
            .await;
        assert_eq!(r.status(), 201);
        let r = app
            .register(f.session_id, "Élodie Çelik-Dupré", None, Some("06 12 34 56 78"))
            .await;
        assert_eq!(r.status(), 201);
        let path = format!("/api/v1/admin/sessions/{}/registrants/export", f.session_id);

        let (headers, bytes) = download(&app, &admin, &path).await;
        assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(
            headers["content-disposition"],
            format!("attachment; filename=\"inscrits-seance-{}.csv\"", f.session_id).as_str()
        );
        let (header, rows) = read_csv(&bytes);
        assert_eq!(header[0], "Atelier");
        assert_eq!(rows.len(), 2);
        let (name, phone, email, status) = (
            column(&header, "Nom"),
            column(&header, "Téléphone"),
            column(&header, "E-mail"),
            column(&header, "Statut"),
        );
        assert_eq!(
            rows[0][name],
            format!("'{HYPERLINK}"),
            "made inert with a leading quote"
        );
        assert_eq!(rows[0][email], "hyper@exemple.fr");
        assert_eq!(rows[1][name], "Élodie Çelik-Dupré");
        assert_eq!(rows[1][phone], "06 12 34 56 78");
        assert_eq!(rows[1][status], "Inscrit");
        assert_eq!(rows[0][column(&header, "Date")], "07/01/2027");
        assert_eq!(rows[0][column(&header, "Heure")], "14:00");

        let (headers, bytes) = download(&app, &admin, &format!("{path}?format=xlsx")).await;
        assert_eq!(
            headers["content-type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert!(headers["content-disposition"].to_str().unwrap().ends_with(".xlsx\""));
        if spreadsheet::openpyxl_available() {
            let (sheet, cells) = spreadsheet::read_xlsx(&bytes);
            assert_eq!(sheet, "Inscrits");
            assert_eq!(cells.len(), 3, "header and two rows");
            assert_eq!(cells[0][name].value, "Nom");
            assert_eq!(cells[1][name].value, HYPERLINK, "kept as typed");
            assert_eq!(cells[1][name].data_type, "s", "a string cell, never a formula");
            assert_eq!(cells[2][name].value, "Élodie Çelik-Dupré");
            assert!(cells[1][phone].value.is_null(), "no phone: an empty cell");
        }

        let log = logged(&app).await;
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].what, "registrants");
        assert_eq!((log[0].format.as_str(), log[1].format.as_str()), ("csv", "xlsx"));
        assert_eq!(log[0].filters, format!("seance={}", f.session_id));
        assert_eq!(log[1].rows, Some(2));
        assert!(log.iter().all(|l| !l.filters.contains("Élodie")));
    }
);

db_test!(
    async fn an_export_of_nothing_is_its_header_row_and_another_organisation_s_session_is_not_found(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 5, 3).await;
        let path = format!("/api/v1/admin/sessions/{}/registrants/export", f.session_id);
        let (_, bytes) = download(&app, &admin, &path).await;
        let (header, rows) = read_csv(&bytes);
        assert_eq!(header.len(), 12);
        assert!(rows.is_empty());
        let (_, bytes) = download(&app, &admin, &format!("{path}?format=xlsx")).await;
        if spreadsheet::openpyxl_available() {
            let (_, cells) = spreadsheet::read_xlsx(&bytes);
            assert_eq!(cells.len(), 1, "the header row only");
            assert_eq!(cells[0][0].value, "Atelier");
        }
        let day = "2027-01-05";
        let (_, bytes) = download(
            &app,
            &admin,
            &format!("/api/v1/admin/appointments/export?from={day}&to={day}"),
        )
        .await;
        let (header, rows) = read_csv(&bytes);
        assert_eq!(header[0], "Date");
        assert!(rows.is_empty());

        let (_, other) = app.organisation("tarascon").await;
        let resp = app.request(Method::GET, &path, Some(&other), None).await;
        problem(resp, 404, "not_found").await;
        assert_eq!(logged(&app).await.len(), 3, "only the exports made are logged");
    }
);

db_test!(
    async fn a_period_s_appointments_come_by_time_and_a_bad_period_is_refused_beside_its_field(app: TestApp) {
        let p = point(&app, 2).await;
        let tuesday = paris(2027, 1, 5, 10, 0);
        for (at, name) in [(tuesday + Duration::minutes(30), "Zoé Martin"), (tuesday, HYPERLINK)] {
            let resp = book(&app, p.place, p.motif, at, name, Some("rdv@exemple.fr"), None).await;
            assert_eq!(resp.status(), 201, "{name}");
        }
        let path = format!(
            "/api/v1/admin/appointments/export?from=2027-01-05&to=2027-01-05&place={}",
            p.place
        );
        let (_, bytes) = download(&app, &p.admin, &path).await;
        let (header, rows) = read_csv(&bytes);
        let name = column(&header, "Nom");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][name], format!("'{HYPERLINK}"));
        assert_eq!(rows[0][column(&header, "Début")], "10:00");
        assert_eq!(rows[1][name], "Zoé Martin");
        assert_eq!(rows[1][column(&header, "Motif")], "CAF");
        let (_, bytes) = download(&app, &p.admin, &format!("{path}&format=xlsx")).await;
        if spreadsheet::openpyxl_available() {
            let (sheet, cells) = spreadsheet::read_xlsx(&bytes);
            assert_eq!(sheet, "Rendez-vous");
            assert_eq!(cells[1][name].value, HYPERLINK);
            assert_eq!(cells[1][name].data_type, "s");
        }

        let reversed = "/api/v1/admin/appointments/export?from=2027-01-06&to=2027-01-05";
        let message = problem(
            app.request(Method::GET, reversed, Some(&p.admin), None).await,
            422,
            "validation",
        )
        .await;
        assert!(message.contains("après la date de début"), "{message}");
        let before = logged(&app).await.len();

        // The console: the same file from the appointments page, and the French message
        // beside the field when the period is wrong.
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", "mot-de-passe-solide").await;
        let page = v.get("/staff/rendez-vous").await;
        assert!(
            page.contains("formaction=\"/staff/rendez-vous/export.xlsx\""),
            "{}",
            page.body
        );
        let file = v
            .get("/staff/rendez-vous/export.csv?du=05%2F01%2F2027&au=05%2F01%2F2027&lieu=")
            .await;
        assert_eq!(file.status, StatusCode::OK, "{}", file.body);
        assert_eq!(
            file.header("content-disposition"),
            "attachment; filename=\"rendez-vous-2027-01-05-2027-01-05.csv\""
        );
        assert!(file.body.contains("Zoé Martin"));
        let bad = v
            .get("/staff/rendez-vous/export.csv?du=05%2F01%2F2027&au=hier&lieu=")
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.contains("id=\"au-erreur\""), "{}", bad.body);
        assert!(bad.contains("Indiquez la date de fin"), "{}", bad.body);
        let log = logged(&app).await;
        assert_eq!(log.len(), before + 1, "a refused period logs nothing");
        assert_eq!(log.last().unwrap().filters, "du=2027-01-05 au=2027-01-05");

        let console = v.get("/staff/exports").await;
        assert_eq!(console.status, StatusCode::OK, "{}", console.body);
        assert!(console.contains("Rendez-vous d'une période"), "{}", console.body);
        assert!(console.contains("Agent Test"));
    }
);

db_test!(
    async fn completed_activity_records_come_out_in_the_reference_s_codes_without_the_mediator_s_free_text(
        app: TestApp,
    ) {
        let p = point(&app, 2).await;
        let (admin, _) = crate::records::honoured(&app, &p, "Jeanne Martin", "jeanne@exemple.fr").await;
        let record = activity_record::Entity::find()
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        let path = "/api/v1/admin/records/export?from=2027-01-01&to=2027-01-31";
        let (_, bytes) = download(&app, &admin, path).await;
        let (header, rows) = read_csv(&bytes);
        assert_eq!(header[0], "type");
        assert!(rows.is_empty(), "a draft is not exported: {rows:?}");

        let resp = app
            .request(
                Method::PUT,
                &format!("/api/v1/admin/records/{}", record.id),
                Some(&admin),
                Some(crate::records::complete_body()),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let (_, bytes) = download(&app, &admin, path).await;
        let (header, rows) = read_csv(&bytes);
        assert_eq!(rows.len(), 1);
        let at = |title: &str| rows[0][column(&header, title)].clone();
        assert_eq!(at("type"), "individuel");
        assert_eq!(at("date"), "2027-01-05");
        assert_eq!(at("duree"), "35");
        assert_eq!(at("lieu"), "Maison publique de Trinquetaille");
        assert_eq!(at("thematiques"), "social_sante");
        assert_eq!(at("materiel"), "ordinateur,telephone");
        assert_eq!(at("typeLieu"), "lieu_activite");
        assert_eq!(at("autonomie"), "partiellement_autonome");
        assert_eq!(at("orienteVersStructure"), "oui");
        assert_eq!(at("structureDeRedirection"), "aide_sociale");
        assert_eq!(at("genre"), "feminin");
        assert_eq!(at("trancheAge"), "soixante_soixante_neuf");
        assert_eq!(at("premierAccompagnement"), "oui");
        assert_eq!(at("niveau"), "");
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("Prime d'activité"), "the procedure's details stay out");
        assert!(!text.contains("Jeanne"), "no name: {text}");

        let (_, bytes) = download(&app, &admin, &format!("{path}&format=xlsx")).await;
        if spreadsheet::openpyxl_available() {
            let (sheet, cells) = spreadsheet::read_xlsx(&bytes);
            assert_eq!(sheet, "Comptes rendus");
            assert_eq!(cells[1][column(&header, "thematiques")].value, "social_sante");
            assert_eq!(cells[1][column(&header, "duree")].data_type, "n");
        }

        // Another organisation's place is refused, and nothing is logged for it.
        let before = logged(&app).await.len();
        let (_, other) = app.organisation("tarascon").await;
        let theirs = mediation_point(&app, &other, "Point de Tarascon", 1).await;
        let message = problem(
            app.request(Method::GET, &format!("{path}&place={theirs}"), Some(&admin), None)
                .await,
            422,
            "validation",
        )
        .await;
        assert!(message.contains("Ce lieu n'existe pas"), "{message}");
        assert_eq!(logged(&app).await.len(), before);

        // The console: the form on the records page, the file, and a bad period beside its field.
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", "mot-de-passe-solide").await;
        let page = v.get("/staff/comptes-rendus").await;
        assert!(
            page.contains("formaction=\"/staff/comptes-rendus/export.xlsx\""),
            "{}",
            page.body
        );
        let file = v
            .get("/staff/comptes-rendus/export.csv?du=01%2F01%2F2027&au=31%2F01%2F2027&lieu=")
            .await;
        assert_eq!(file.status, StatusCode::OK, "{}", file.body);
        assert_eq!(
            file.header("content-disposition"),
            "attachment; filename=\"comptes-rendus-2027-01-01-2027-01-31.csv\""
        );
        assert!(file.body.contains("partiellement_autonome"));
        let bad = v.get("/staff/comptes-rendus/export.csv?du=hier&au=&lieu=").await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.contains("id=\"du-erreur\""), "{}", bad.body);
        // The record's own page still answers beside the export's path.
        let one = v.get(&format!("/staff/comptes-rendus/{}", record.id)).await;
        assert_eq!(one.status, StatusCode::OK);
        let console = v.get("/staff/exports").await;
        assert!(console.contains("Comptes rendus d'activité"), "{}", console.body);
    }
);

db_test!(
    async fn the_statistics_export_holds_the_console_s_figures_one_per_line(app: TestApp) {
        let p = point(&app, 2).await;
        let (admin, _) = crate::records::honoured(&app, &p, "Jeanne Martin", "jeanne@exemple.fr").await;
        let record = activity_record::Entity::find()
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        let resp = app
            .request(
                Method::PUT,
                &format!("/api/v1/admin/records/{}", record.id),
                Some(&admin),
                Some(crate::records::complete_body()),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let (_, bytes) = download(&app, &admin, "/api/v1/admin/stats/export?from=2027-01-01&to=2027-01-31").await;
        let (header, rows) = read_csv(&bytes);
        assert_eq!(header, ["Rubrique", "Indicateur", "Code", "Mois", "Valeur"]);
        let value = |section: &str, indicator: &str, month: &str| {
            rows.iter()
                .find(|r| r[0] == section && r[1] == indicator && r[3] == month)
                .map(|r| r[4].clone())
                .unwrap_or_else(|| panic!("no {section} / {indicator} / {month} in {rows:?}"))
        };
        assert_eq!(value("Rendez-vous", "Rendez-vous pris", ""), "1");
        assert_eq!(value("Rendez-vous", "Honorés", ""), "1");
        assert_eq!(value("Rendez-vous", "Taux de présence (%)", ""), "100");
        assert_eq!(value("Par mois", "Rendez-vous", "2027-01"), "1");
        assert_eq!(value("Comptes rendus", "Comptes rendus complétés", ""), "1");
        let theme = rows
            .iter()
            .find(|r| r[0] == "Thématiques" && r[2] == "social_sante")
            .expect("the theme's line");
        assert_eq!(theme[4], "1");

        let bad = "/api/v1/admin/stats/export?from=2027-02-30";
        problem(
            app.request(Method::GET, bad, Some(&admin), None).await,
            422,
            "validation",
        )
        .await;

        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", "mot-de-passe-solide").await;
        let page = v.get("/staff/statistiques?du=01%2F01%2F2027&au=31%2F01%2F2027").await;
        assert!(page.contains("/staff/statistiques/export.xlsx?du="), "{}", page.body);
        let file = v
            .get("/staff/statistiques/export.xlsx?du=01%2F01%2F2027&au=31%2F01%2F2027")
            .await;
        assert_eq!(file.status, StatusCode::OK);
        assert_eq!(
            file.header("content-disposition"),
            "attachment; filename=\"statistiques-2027-01-01-2027-01-31.xlsx\""
        );
        let log = logged(&app).await;
        assert_eq!(log.last().unwrap().what, "statistics");
        assert_eq!(log.last().unwrap().filters, "du=2027-01-01 au=2027-01-31");
        assert_eq!(
            v.get("/staff/statistiques/rapport?du=01%2F01%2F2027").await.status,
            StatusCode::OK
        );
    }
);

db_test!(
    async fn the_commune_is_stored_with_its_insee_code_from_a_name_or_a_postal_code_and_exported_with_it(app: TestApp) {
        let p = point(&app, 2).await;
        let (admin, _) = crate::records::honoured(&app, &p, "Jeanne Martin", "jeanne@exemple.fr").await;
        let record = activity_record::Entity::find()
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        let path = format!("/api/v1/admin/records/{}", record.id);
        let with = |commune: &str| {
            let mut body = crate::records::complete_body();
            body["commune"] = commune.into();
            body
        };
        let message = problem(
            app.request(Method::PUT, &path, Some(&admin), Some(with("Arle"))).await,
            422,
            "validation",
        )
        .await;
        assert!(message.contains("Commune inconnue : « Arle »"), "{message}");

        // A postal code names the commune; "St" reads as "Saint".
        let resp = app.request(Method::PUT, &path, Some(&admin), Some(with("13280"))).await;
        assert_eq!(resp.status(), 200);
        let body = json(resp).await;
        assert_eq!(
            (&body["commune"], &body["commune_postal_code"], &body["commune_insee"]),
            (&"Arles".into(), &"13280".into(), &"13004".into()),
            "{body}"
        );
        let stored = activity_record::Entity::find_by_id(record.id)
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.commune_insee.as_deref(), Some("13004"));

        let export = "/api/v1/admin/records/export?from=2027-01-01&to=2027-01-31";
        let (_, bytes) = download(&app, &admin, export).await;
        let (header, rows) = read_csv(&bytes);
        let at = |title: &str| rows[0][column(&header, title)].clone();
        assert_eq!(
            (at("commune"), at("codePostal"), at("codeInsee")),
            ("Arles".into(), "13280".into(), "13004".into())
        );

        // The console: one field with the list of communes; an unknown one is said beside it.
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", "mot-de-passe-solide").await;
        let page_path = format!("/staff/comptes-rendus/{}", record.id);
        let form = v.get(&page_path).await;
        assert!(form.contains(r#"list="communes""#), "{}", form.body);
        assert!(form.contains(r#"<option value="Saint-Martin-de-Crau (13310)">"#));
        assert!(form.contains(r#"value="Arles (13280)""#), "the stored commune is shown");
        let fields = |commune: &'static str| {
            [
                ("duration_minutes", "30"),
                ("themes", "social_sante"),
                ("materiel", "ordinateur"),
                ("type_lieu", "lieu_activite"),
                ("autonomie", "autonome"),
                ("commune", commune),
            ]
        };
        let refused = v.submit(&page_path, &page_path, &fields("Atlantide")).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.contains(r#"id="commune-erreur""#), "{}", refused.body);
        assert!(refused.contains("Commune inconnue : « Atlantide »"), "{}", refused.body);
        let saved = v.submit(&page_path, &page_path, &fields("st martin de crau")).await;
        assert_eq!(
            saved.location(),
            "/staff/comptes-rendus?fait=enregistre",
            "{}",
            saved.body
        );
        let stored = activity_record::Entity::find_by_id(record.id)
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                stored.commune.as_deref(),
                stored.commune_postal_code.as_deref(),
                stored.commune_insee.as_deref()
            ),
            (Some("Saint-Martin-de-Crau"), Some("13310"), Some("13097"))
        );
    }
);
