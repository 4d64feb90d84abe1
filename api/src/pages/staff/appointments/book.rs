//! Booking on a resident's behalf: a reason, a free slot, the person's details.
use chrono::{DateTime, Datelike, Duration, Utc};
use chrono_tz::Tz;
use entities::{motif, place};
use minijinja::{Value, context};
use poem::{
    handler,
    http::StatusCode,
    web::{Path, Query},
};
use serde::Serialize;

use super::{
    STAFF_SLOT_DAYS, booker, day::DayQuery, day_of, parse_slot, place_in_org, place_motifs, slot_days, staff_motif,
    staff_slots,
};
use crate::{
    appointments::service::{self, NewAppointment},
    domain::contact::free_text,
    french,
    pages::{
        PageError, PageResult, error,
        forms::{self, FormData, FormErrors},
        params::slot_param,
        see_other,
        session_cookie::StaffCtx,
        workshops::duration_words,
    },
};

#[handler]
pub(crate) async fn book_form(ctx: StaffCtx, Path(place_id): Path<String>, Query(q): Query<DayQuery>) -> PageResult {
    ctx.require_manager()?;
    let (p, tz) = place_in_org(&ctx, &place_id).await?;
    let (day, today) = day_of(&ctx, tz, q.jour.as_deref());
    let Some(motif_raw) = q.motif.as_deref() else {
        #[derive(Serialize)]
        struct Choice {
            id: i32,
            label: String,
            duration: String,
            online: bool,
        }
        let motifs: Vec<Choice> = place_motifs(&ctx, &p)
            .await?
            .into_iter()
            .map(|m| Choice {
                id: m.id,
                duration: duration_words(i64::from(m.duration_minutes)),
                label: m.label,
                online: m.bookable_online,
            })
            .collect();
        return ctx.render(
            "staff/appointment_book.html",
            context! { nav => "rendez-vous", place_id => p.id, place_name => &p.name, day => day.to_string(), motifs },
        );
    };
    let m = staff_motif(&ctx, &p, motif_raw).await?;
    if let Some(start) = q.debut.as_deref().and_then(parse_slot) {
        return details_page(
            &ctx,
            &p,
            tz,
            &m,
            start,
            StatusCode::OK,
            context! {},
            FormErrors::default(),
        );
    }
    let slots = staff_slots(&ctx, &p, tz, &m, day).await?;
    ctx.render(
        "staff/appointment_slots.html",
        context! {
            nav => "rendez-vous",
            place_id => p.id,
            place_name => &p.name,
            motif => context! { id => m.id, label => &m.label, duration => duration_words(i64::from(m.duration_minutes)) },
            day => day.to_string(),
            next => (day + Duration::days(STAFF_SLOT_DAYS)).to_string(),
            days => slot_days(&slots, tz, today.year()),
        },
    )
}

#[allow(clippy::too_many_arguments)]
fn details_page(
    ctx: &StaffCtx,
    p: &place::Model,
    tz: Tz,
    m: &motif::Model,
    start: DateTime<Utc>,
    status: StatusCode,
    values: Value,
    errors: FormErrors,
) -> PageResult {
    let year = ctx.state().clock.now().with_timezone(&tz).year();
    let local = start.with_timezone(&tz);
    ctx.render_status(
        status,
        "staff/appointment_details.html",
        context! {
            nav => "rendez-vous",
            place_id => p.id,
            place_name => &p.name,
            motif => context! { id => m.id, label => &m.label, instructions => &m.instructions },
            when => french::short_at(&local, year),
            day => local.date_naive().to_string(),
            start => slot_param(start),
            values,
            errors,
        },
    )
}

#[handler]
pub(crate) async fn book(ctx: StaffCtx, Path(place_id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let (p, tz) = place_in_org(&ctx, &place_id).await?;
    let m = staff_motif(&ctx, &p, form.get("motif")).await?;
    let start =
        parse_slot(form.get("start")).ok_or_else(|| PageError::BadRequest("Aucun horaire n'a été choisi.".into()))?;
    let mut errors = FormErrors::default();
    let contact = forms::contact(&form, crate::domain::contact::Voice::Staff, &mut errors);
    let note = free_text(Some(form.get("note")), 1000)
        .map_err(|e| errors.add("note", e.to_string()))
        .ok()
        .flatten();
    let needs = free_text(Some(form.get("accessibility_needs")), 500)
        .map_err(|e| errors.add("accessibility_needs", e.to_string()))
        .ok()
        .flatten();
    let values = Value::from_serialize(form.values());
    let Some(contact) = contact.filter(|_| errors.is_empty()) else {
        return details_page(
            &ctx,
            &p,
            tz,
            &m,
            start,
            StatusCode::UNPROCESSABLE_ENTITY,
            values,
            errors,
        );
    };
    let request = NewAppointment {
        place_id: p.id,
        motif_id: m.id,
        starts_at: start,
        contact,
        note,
        accessibility_needs: needs,
        sms: forms::sms_choice(&form),
    };
    match service::book(ctx.state(), request, booker(&ctx)).await {
        Ok(b) => {
            let day = b.appointment.starts_at.with_timezone(&tz).date_naive();
            Ok(see_other(&format!("/staff/lieux/{}?jour={day}&fait=reserve", p.id)))
        }
        Err(e) => {
            let (status, message) = error::on_form(&e)?;
            details_page(&ctx, &p, tz, &m, start, status, values, FormErrors::form(message))
        }
    }
}
