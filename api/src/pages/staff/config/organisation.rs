//! `/staff/reglages/organisation`: the organisation's name, contact e-mail and phone, SMS
//! sender name and monthly SMS budget, with the month's SMS use. Admins change them;
//! coordinators read them (the use of SMS concerns their planning too). The same service as
//! the admin API (`adminUpdateOrganisation`), so the page refuses what the API refuses.
use minijinja::{Value, context};
use poem::{handler, http::StatusCode, web::Query};

use super::{STALE, add_problems, refused, stale, version};
use crate::{
    organisation::settings::{self, Settings, SettingsFields},
    pages::{
        PageError, PageResult,
        forms::{FormData, FormErrors},
        see_other,
        session_cookie::StaffCtx,
        staff::notice::Done,
    },
};

crate::domain::refusal::map_domain_errors!(PageError: settings::SettingsError);

const PATH: &str = "/staff/reglages/organisation";

/// The form's values for the stored settings.
fn values_of(s: &Settings) -> Value {
    let o = &s.organisation;
    context! {
        name => &o.name, contact_email => &o.contact_email, contact_phone => &o.contact_phone,
        sms_sender => &s.sms_sender,
        // No budget is an empty field, not the word "none".
        sms_monthly_budget => o.sms_monthly_budget.map(|b| b.to_string()).unwrap_or_default(),
        version => version(o),
    }
}

fn page(
    ctx: &StaffCtx,
    status: StatusCode,
    s: &Settings,
    values: Value,
    errors: FormErrors,
    notice: Option<&str>,
) -> PageResult {
    let admin = ctx.me.require_admin().is_ok();
    ctx.render_status(
        status,
        "staff/config/organisation.html",
        context! {
            nav => "reglages", admin, values, errors, notice,
            current => values_of(s),
            usage => s.usage.summary(), warning => s.usage.warning(),
        },
    )
}

#[handler]
pub(crate) async fn show(ctx: StaffCtx, Query(done): Query<Done>) -> PageResult {
    ctx.require_manager()?;
    let s = settings::load(ctx.state(), ctx.me.organisation_id).await?;
    let notice =
        (done.fait.as_deref() == Some("modifie")).then_some("Les réglages de l'organisation sont enregistrés.");
    page(&ctx, StatusCode::OK, &s, values_of(&s), FormErrors::default(), notice)
}

/// Reads the form; a budget that is not a whole number is put beside its field.
fn read(form: &FormData, errors: &mut FormErrors) -> Option<SettingsFields> {
    let budget = match form
        .opt("sms_monthly_budget")
        .map(|b| b.trim().replace([' ', '\u{a0}', '\u{202f}'], ""))
    {
        None => None,
        Some(b) if b.is_empty() => None,
        Some(b) => match b.parse::<i32>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.add(
                    "sms_monthly_budget",
                    "Indiquez un nombre entier de segments, ou laissez vide pour ne pas limiter.",
                );
                None
            }
        },
    };
    let fields = SettingsFields {
        name: form.get("name").into(),
        contact_email: form.get("contact_email").into(),
        contact_phone: form.opt("contact_phone").map(str::to_string),
        sms_sender: form.get("sms_sender").into(),
        sms_monthly_budget: budget,
    };
    if let Err(problems) = fields.check() {
        add_problems(errors, &problems, "");
    }
    errors.is_empty().then_some(fields)
}

#[handler]
pub(crate) async fn update(ctx: StaffCtx, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.me
        .require_admin()
        .map_err(|_| PageError::Forbidden("Seul un administrateur change les réglages de l'organisation.".into()))?;
    let s = settings::load(ctx.state(), ctx.me.organisation_id).await?;
    if stale(&form, &s.organisation) {
        return page(
            &ctx,
            StatusCode::CONFLICT,
            &s,
            values_of(&s),
            FormErrors::form(STALE),
            None,
        );
    }
    let mut errors = FormErrors::default();
    if let Some(fields) = read(&form, &mut errors) {
        match settings::update(ctx.state(), ctx.me.organisation_id, &fields).await {
            Ok(_) => return Ok(see_other(&format!("{PATH}?fait=modifie"))),
            Err(e) => refused(&mut errors, &e, "", &[])?,
        }
    }
    let values = Value::from_serialize(form.values());
    page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &s, values, errors, None)
}
