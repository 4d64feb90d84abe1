//! `/staff`: the console of the library team, the mediators and the coordination. Every page
//! but the sign-in page needs the session cookie; every form carries the session's CSRF token.
use crate::pages::routes::{PageRoutes, get, post};

pub(crate) mod agenda;
pub(crate) mod appointments;
pub(crate) mod calls;
pub(crate) mod config;
pub(crate) mod feeds;
pub(crate) mod login;
pub(crate) mod messages;
pub(crate) mod notice;
pub(crate) mod records;
pub(crate) mod replies;
pub(crate) mod sessions;
pub(crate) mod statistics;

pub(crate) fn routes() -> PageRoutes {
    PageRoutes::new()
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
        .at(
            "/seances/:id/modifier",
            get(sessions::edit::edit_form).post(sessions::edit::edit),
        )
        .at("/seances/:id/copier", get(sessions::copy::copy_form))
        .at(
            "/seances/:id/serie/annuler",
            get(sessions::series::series_cancel_form).post(sessions::series::series_cancel),
        )
        .at("/seances/:id/inscrits/:rid", get(sessions::registrants::show))
        .at(
            "/seances/:id/inscrits/:rid/deplacer",
            post(sessions::registrants::move_to),
        )
        .at(
            "/seances/:id/inscrits/:rid/retirer",
            post(sessions::registrants::remove),
        )
        .at(
            "/seances/:id/inscrits/:rid/promouvoir",
            post(sessions::registrants::promote),
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
        .at(
            "/statistiques/:file<export\\.(csv|xlsx)>",
            get(crate::exports::pages::statistics),
        )
        .at("/comptes-rendus", get(records::list))
        .at("/comptes-rendus/thematiques", get(records::themes_list))
        .at(
            "/comptes-rendus/:file<export\\.(csv|xlsx)>",
            get(crate::exports::pages::records),
        )
        .at(
            "/comptes-rendus/thematiques/:kind/:id",
            get(records::themes_form).post(records::themes_save),
        )
        .at("/comptes-rendus/:id", get(records::show).post(records::save))
        .at("/comptes-rendus/:id/ecarter", post(records::decline))
        .at("/reglages", get(config::index))
        .at("/reglages/lieux", get(config::places::list))
        .at(
            "/reglages/lieux/nouveau",
            get(config::places::new_form).post(config::places::create),
        )
        .at(
            "/reglages/lieux/:id",
            get(config::places::edit_form).post(config::places::update),
        )
        .at("/reglages/lieux/:id/horaires", get(config::opening_rules::page))
        .at(
            "/reglages/lieux/:id/horaires/regles",
            post(config::opening_rules::add_rule),
        )
        .at(
            "/reglages/regles/:id",
            get(config::opening_rules::edit_rule_form).post(config::opening_rules::update_rule),
        )
        .at(
            "/reglages/regles/:id/supprimer",
            post(config::opening_rules::delete_rule),
        )
        .at(
            "/reglages/lieux/:id/horaires/ouvertures",
            post(config::opening_rules::add_extra),
        )
        .at(
            "/reglages/ouvertures/:id",
            get(config::opening_rules::edit_extra_form).post(config::opening_rules::update_extra),
        )
        .at(
            "/reglages/ouvertures/:id/supprimer",
            post(config::opening_rules::delete_extra),
        )
        .at("/reglages/lieux/:id/fermetures", post(config::closures::add))
        .at("/reglages/fermetures/:id", get(config::closures::show))
        .at(
            "/reglages/fermetures/:id/modifier",
            get(config::closures::edit_form).post(config::closures::update),
        )
        .at(
            "/reglages/fermetures/:id/annuler-rendez-vous",
            post(config::closures::cancel_appointments),
        )
        .at("/reglages/fermetures/:id/supprimer", post(config::closures::delete))
        .at("/reglages/motifs", get(config::motifs::list))
        .at(
            "/reglages/motifs/nouveau",
            get(config::motifs::new_form).post(config::motifs::create),
        )
        .at(
            "/reglages/motifs/:id",
            get(config::motifs::edit_form).post(config::motifs::update),
        )
        .at("/reglages/ateliers", get(config::workshops::list))
        .at(
            "/reglages/ateliers/nouveau",
            get(config::workshops::new_form).post(config::workshops::create),
        )
        .at(
            "/reglages/ateliers/:id",
            get(config::workshops::edit_form).post(config::workshops::update),
        )
        .at(
            "/reglages/organisation",
            get(config::organisation::show).post(config::organisation::update),
        )
        .at("/reglages/comptes", get(config::staff_accounts::list))
        .at(
            "/reglages/comptes/nouveau",
            get(config::staff_accounts::new_form).post(config::staff_accounts::create),
        )
        .at("/reglages/comptes/:id", post(config::staff_accounts::update))
        .at("/reglages/comptes/:id/lien", post(config::staff_accounts::reinvite))
        .at(
            "/invitation/:token",
            get(config::staff_accounts::invitation_form).post(config::staff_accounts::accept_invitation),
        )
}
