//! `/staff`: the console of the library team, the mediators and the coordination. Every page
//! but the sign-in page needs the session cookie; every form carries the session's CSRF token.
use poem::{Route, get, post};

pub(crate) mod agenda;
pub(crate) mod appointments;
pub(crate) mod calls;
pub(crate) mod feeds;
pub(crate) mod login;
pub(crate) mod messages;
pub(crate) mod notice;
pub(crate) mod records;
pub(crate) mod replies;
pub(crate) mod sessions;
pub(crate) mod statistics;

pub(crate) fn routes() -> Route {
    Route::new()
        .at("/", get(agenda::agenda))
        .at("/connexion", get(login::show_form).post(login::submit))
        .at("/deconnexion", post(login::logout))
        .at("/seances", get(sessions::list))
        .at(
            "/seances/nouvelle",
            get(sessions::create::new_form).post(sessions::create::create),
        )
        .at(
            "/seances/serie",
            get(sessions::create::series_form).post(sessions::create::create_series),
        )
        .at("/seances/:id", get(sessions::show::show))
        .at("/seances/:id/presences", post(sessions::show::attendance))
        .at("/seances/:id/:file", get(crate::exports::pages::session_registrants))
        .at("/seances/:id/inscrire", post(sessions::show::register))
        .at("/seances/:id/emargement", get(sessions::show::sheet))
        .at(
            "/seances/:id/annuler",
            get(sessions::cancel::cancel_form).post(sessions::cancel::cancel),
        )
        .at("/rendez-vous", get(appointments::places))
        .at("/rendez-vous/:id/marquer", post(appointments::day::mark))
        .at(
            "/rendez-vous/:id/annuler",
            get(appointments::cancel::cancel_form).post(appointments::cancel::cancel),
        )
        .at(
            "/rendez-vous/:id/deplacer",
            get(appointments::moving::move_form).post(appointments::moving::move_to),
        )
        .at("/rendez-vous/:file", get(crate::exports::pages::appointments))
        .at("/exports", get(crate::exports::pages::log_page))
        .at("/personnes", get(crate::retention::staff::search_page))
        .at(
            "/personnes/effacer",
            get(crate::retention::staff::confirm_page).post(crate::retention::staff::erase_person),
        )
        .at("/lieux/:id", get(appointments::day::day_view))
        .at(
            "/lieux/:id/reserver",
            get(appointments::book::book_form).post(appointments::book::book),
        )
        .at("/lieux/:id/sur-place", post(appointments::walk_in::walk_in))
        .at("/flux", get(feeds::list))
        .at("/flux/:id/revoquer", post(feeds::revoke))
        .at("/messages", get(messages::list))
        .at("/avis", get(crate::survey::pages::staff_results))
        .at("/messages/:id/relancer", post(messages::retry))
        .at("/a-appeler", get(calls::list))
        .at("/a-appeler/:id/prevenu", post(calls::called))
        .at("/sms-recus", get(replies::list))
        .at("/sms-recus/:id/lu", post(replies::mark_read))
        .at("/statistiques", get(statistics::page))
        .at("/statistiques/rapport", get(statistics::report))
        .at("/comptes-rendus", get(records::list))
        .at("/comptes-rendus/thematiques", get(records::themes_list))
        .at(
            "/comptes-rendus/thematiques/:kind/:id",
            get(records::themes_form).post(records::themes_save),
        )
        .at("/comptes-rendus/:id", get(records::show).post(records::save))
        .at("/comptes-rendus/:id/ecarter", post(records::decline))
}
