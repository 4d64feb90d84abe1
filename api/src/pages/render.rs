//! Templates (embedded in the binary, HTML-escaped automatically) and what every page knows:
//! the site's name, the CSRF token, the clock.
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Utc};
use minijinja::{Environment, UndefinedBehavior, Value, context};
use poem::{FromRequest, Request, RequestBody, Response, http::StatusCode};
use sea_orm::ConnectionTrait;
use serde::Serialize;

use super::{PageError, PageResult, csrf::PublicToken};
use crate::platform::{
    state::AppState,
    templates::{embedded_templates, environment},
};

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let templates = embedded_templates![
            "layout.html",
            "macros.html",
            "error.html",
            "home.html",
            "accessibility.html",
            "find.html",
            "workshops/list.html",
            "workshops/session.html",
            "manage/registration.html",
            "manage/registration_cancel.html",
            "staff/login.html",
            "staff/agenda.html",
            "staff/sessions.html",
            "staff/session.html",
            "staff/sheet.html",
            "staff/session_new.html",
            "staff/series_new.html",
            "staff/_planning.html",
            "staff/session_cancel.html",
            "staff/session_edit.html",
            "staff/session_registrant.html",
            "staff/session_series_cancel.html",
            "staff/session_sheet_cancelled.html",
            "staff/messages.html",
            "staff/replies.html",
            "staff/calls.html",
            "staff/statistics.html",
            "staff/statistics_report.html",
            "statistics.html",
            "staff/feeds.html",
            "appointments/places.html",
            "appointments/motifs.html",
            "appointments/_slot_list.html",
            "appointments/slots.html",
            "appointments/details.html",
            "appointments/_appt_facts.html",
            "appointments/manage.html",
            "appointments/cancel.html",
            "appointments/move.html",
            "appointments/move_confirm.html",
            "staff/appointment_places.html",
            "staff/appointment_day.html",
            "staff/appointment_book.html",
            "staff/appointment_slots.html",
            "staff/appointment_details.html",
            "staff/appointment_cancel.html",
            "staff/appointment_move.html",
            "staff/appointment_move_confirm.html",
            "staff/_appointment_facts.html",
            "staff/_appointment_move_slots.html",
            "staff/_record_fields.html",
            "staff/records.html",
            "staff/record.html",
            "staff/record_themes.html",
            "staff/record_theme_form.html",
            "staff/exports.html",
            "manage/_erase.html",
            "manage/erase.html",
            "manage/erased.html",
            "staff/people.html",
            "staff/people_erase.html",
            "privacy.html",
            "survey/form.html",
            "survey/thanks.html",
            "survey/stop.html",
            "staff/survey.html",
            "staff/config/index.html",
            "staff/config/places.html",
            "staff/config/place_form.html",
            "staff/config/schedule.html",
            "staff/config/closure.html",
            "staff/config/motifs.html",
            "staff/config/motif_form.html",
            "staff/config/workshops.html",
            "staff/config/workshop_form.html",
            "staff/config/accounts.html",
            "staff/config/organisation.html",
            "staff/config/account_new.html",
            "staff/config/account_invited.html",
            "staff/config/invitation.html",
        ];
        environment(&templates, |env| {
            env.set_undefined_behavior(UndefinedBehavior::Chainable)
        })
    })
}

/// The organisation the site belongs to (the first one: a deployment serves one town).
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Site {
    pub name: String,
    pub phone: Option<String>,
    /// The phone as a `tel:` link target: digits and `+` only.
    pub phone_href: Option<String>,
    pub email: Option<String>,
}

impl Site {
    pub(crate) async fn load<C: ConnectionTrait>(db: &C) -> Result<Site, sea_orm::DbErr> {
        let org = crate::platform::organisations::site(db).await?;
        Ok(match org {
            Some(o) => Site {
                name: o.name,
                phone_href: o
                    .contact_phone
                    .as_deref()
                    .map(|p| p.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect()),
                phone: o.contact_phone,
                email: Some(o.contact_email),
            },
            None => Site::default(),
        })
    }
}

/// What a public page handler needs: the state, the site, the CSRF token.
pub(crate) struct Ctx {
    pub state: AppState,
    pub site: Site,
    pub csrf: PublicToken,
}

impl<'a> FromRequest<'a> for Ctx {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let state = req
            .data::<AppState>()
            .cloned()
            .ok_or_else(|| PageError::internal("no AppState"))?;
        let csrf = req
            .data::<PublicToken>()
            .cloned()
            .ok_or_else(|| PageError::internal("no CSRF token: page() not applied"))?;
        let site = Site::load(&state.db).await.map_err(PageError::from)?;
        Ok(Ctx { state, site, csrf })
    }
}

impl Ctx {
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.state.clock.now()
    }

    /// This year in the organisation's zone (dates in it are written without the year).
    pub(crate) fn year(&self) -> i32 {
        self.now().with_timezone(&self.state.settings.timezone).year()
    }

    pub(crate) fn render(&self, template: &str, page: Value) -> PageResult {
        self.render_status(StatusCode::OK, template, page)
    }

    pub(crate) fn render_status(&self, status: StatusCode, template: &str, page: Value) -> PageResult {
        let base = context! { site => &self.site, csrf => &self.csrf.value, staff => Value::UNDEFINED };
        html(status, template, context! { ..page, ..base })
    }
}

/// Renders `template` with `ctx` into an HTML response.
pub(crate) fn html(status: StatusCode, template: &str, ctx: Value) -> PageResult {
    let body = env().get_template(template)?.render(ctx)?;
    Ok(Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

pub(crate) fn error_response(
    site: &Site,
    status: StatusCode,
    title: &str,
    message: &str,
    staff_area: bool,
) -> Response {
    let ctx = context! { site, title, message, staff_area, status => status.as_u16() };
    match html(status, "error.html", ctx) {
        Ok(r) => r,
        Err(_) => Response::builder()
            .status(status)
            .content_type("text/plain; charset=utf-8")
            .body(format!("{title}\n\n{message}")),
    }
}
