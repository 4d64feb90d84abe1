//! `/staff/messages`: messages the worker gave up on, to send again once the cause is fixed;
//! and the month's use of SMS against the organisation's budget.
use chrono::Datelike;
use entities::kinds::{Event, OutboxStatus};
use minijinja::context;
use poem::{
    handler,
    web::{Path, Query},
};
use serde::Serialize;

use super::notice::Done;
use crate::french;
use crate::notifications::queries;
use crate::pages::{PageError, PageResult, forms::FormData, see_other, session_cookie::StaffCtx};

#[derive(Serialize)]
struct Failed {
    id: i64,
    when: String,
    recipient: String,
    email: Option<String>,
    /// The number of an SMS, as French people read it.
    sms: Option<String>,
    kind: &'static str,
    attempts: i32,
    error: Option<String>,
}

/// What a message was about, in words.
pub(crate) fn kind_label(kind: Event) -> &'static str {
    match kind {
        Event::RegistrationConfirmed => "Confirmation d'inscription",
        Event::RegistrationWaitlisted => "Inscription en liste d'attente",
        Event::RegistrationPromoted => "Place libérée (liste d'attente)",
        Event::RegistrationCancelled => "Annulation d'inscription",
        Event::SessionCancelled => "Séance annulée",
        Event::SessionMoved => "Séance déplacée",
        Event::AppointmentConfirmed => "Confirmation de rendez-vous",
        Event::AppointmentRescheduled => "Rendez-vous déplacé",
        Event::AppointmentCancelled => "Rendez-vous annulé",
        Event::Reminder => "Rappel",
        Event::SurveyInvitation => "Questionnaire de satisfaction",
    }
}

#[handler]
pub(crate) async fn list(ctx: StaffCtx, Query(done): Query<Done>) -> PageResult {
    ctx.require_manager()?;
    let state = ctx.state();
    let tz = state.settings.timezone;
    let year = state.clock.now().with_timezone(&tz).year();
    let rows = queries::outbox_rows(&state.db, ctx.me.organisation_id, Some(OutboxStatus::Failed), 500).await?;
    let failed: Vec<Failed> = rows
        .into_iter()
        .map(|r| Failed {
            id: r.id,
            when: french::short_at(&r.created_at.with_timezone(&tz), year),
            recipient: r.recipient_name,
            email: r.recipient_email,
            sms: r.recipient_phone.as_deref().map(french::phone),
            kind: kind_label(r.kind),
            attempts: r.attempts,
            error: r.last_error,
        })
        .collect();
    let notice = (done.fait.as_deref() == Some("relance")).then_some("Le message est remis dans la file d'envoi.");
    let sms = crate::organisation::settings::load(state, ctx.me.organisation_id)
        .await?
        .usage;
    ctx.render(
        "staff/messages.html",
        context! { nav => "messages", failed, notice, sms_usage => sms.summary(), sms_warning => sms.warning() },
    )
}

/// Puts a failed message back in the queue (the same change as the admin API's `adminRetryOutbox`).
pub(crate) async fn requeue(ctx: &StaffCtx, id: i64) -> Result<bool, PageError> {
    let state = ctx.state();
    Ok(crate::notifications::service::requeue_failed(&state.db, ctx.me.organisation_id, id, state.clock.now()).await?)
}

#[handler]
pub(crate) async fn retry(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let not_found = || PageError::NotFound("Ce message n'est pas (ou plus) en échec.".into());
    let id: i64 = id.parse().map_err(|_| not_found())?;
    if !requeue(&ctx, id).await? {
        return Err(not_found());
    }
    Ok(see_other("/staff/messages?fait=relance"))
}
