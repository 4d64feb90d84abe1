//! One session's page: its registrants, waiting list and attendance; registering someone at
//! the counter (with one more seat when it is full); the printable attendance sheet.
use std::collections::BTreeMap;

use entities::kinds::{BookedBy, BookingKind, Channel, Event, OutboxStatus, RegistrationStatus, SessionStatus};
use entities::{outbox, place, registration};
use minijinja::{Value, context};
use poem::{
    handler,
    http::StatusCode,
    web::{Path, Query},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use crate::french;
use crate::pages::staff::notice::Done;
use crate::{
    domain::capacity::RegistrationClosed,
    pages::{
        PageError, PageResult,
        forms::{self, FormData, FormErrors},
        see_other,
        session_cookie::StaffCtx,
    },
    workshops::{
        dto::{Attendance, Session},
        planning, queries,
        service::{self, Booker, RegistrationError},
    },
};

#[derive(Serialize)]
pub(super) struct Registrant {
    pub(super) id: i32,
    pub(super) booking_code: String,
    pub(super) name: String,
    pub(super) phone: Option<String>,
    pub(super) email: Option<String>,
    pub(super) by_staff: bool,
    pub(super) present: bool,
    pub(super) attendance: &'static str,
    pub(super) position: Option<usize>,
    /// The number answered "STOP": no SMS reach this person.
    pub(super) sms_stopped: bool,
    /// How messages reach the person: "e-mail", "SMS", "e-mail et SMS", or `None` when only
    /// a call can.
    pub(super) reached_by: Option<&'static str>,
    /// A cancelled registration: how the message about it went ("e-mail (envoyé)", "SMS
    /// (reçu)"…), from the outbox; `None` when nothing reached the person.
    pub(super) told: Option<String>,
}

pub(crate) fn attendance_label(a: Attendance) -> &'static str {
    match a {
        Attendance::Present => "Présent",
        Attendance::Absent => "Absent",
        Attendance::Unknown => "Non noté",
    }
}

pub(super) struct Loaded {
    pub(super) session: Session,
    pub(super) place: place::Model,
    pub(super) in_series: bool,
    pub(super) confirmed: Vec<Registrant>,
    pub(super) waiting: Vec<Registrant>,
    pub(super) cancelled: Vec<Registrant>,
}

/// One outbox row's fate, in the agent's words; `None` when it reached nobody.
fn fate(channel: Channel, status: OutboxStatus) -> Option<&'static str> {
    use OutboxStatus::*;
    match (channel, status) {
        (Channel::Email, Sent) => Some("e-mail (envoyé)"),
        (Channel::Email, Pending) => Some("e-mail (en cours d'envoi)"),
        (Channel::Sms, Sent) => Some("SMS (envoyé)"),
        (Channel::Sms, Delivered) => Some("SMS (reçu)"),
        (Channel::Sms, Pending) => Some("SMS (en cours d'envoi)"),
        _ => None,
    }
}

/// How the message about each cancelled registration went, by registration id.
async fn told_how(ctx: &StaffCtx, cancelled: &[i32]) -> Result<BTreeMap<i32, String>, PageError> {
    if cancelled.is_empty() {
        return Ok(BTreeMap::new());
    }
    let rows = outbox::Entity::find()
        .filter(outbox::Column::OrganisationId.eq(ctx.me.organisation_id))
        .filter(outbox::Column::BookingKind.eq(BookingKind::Registration))
        .filter(outbox::Column::BookingId.is_in(cancelled.iter().copied()))
        .filter(outbox::Column::Kind.is_in([Event::SessionCancelled, Event::RegistrationCancelled]))
        .order_by_asc(outbox::Column::Id)
        .all(&ctx.state().db)
        .await?;
    let mut out: BTreeMap<i32, Vec<&'static str>> = BTreeMap::new();
    for r in &rows {
        if let (Some(id), Some(f)) = (r.booking_id, fate(r.channel, r.status)) {
            let seen = out.entry(id).or_default();
            if !seen.contains(&f) {
                seen.push(f);
            }
        }
    }
    Ok(out.into_iter().map(|(id, f)| (id, f.join(" et "))).collect())
}

pub(super) async fn load(ctx: &StaffCtx, id: &str) -> Result<Loaded, PageError> {
    let not_found = || PageError::NotFound("Cette séance n'existe pas.".into());
    let id: i32 = id.parse().map_err(|_| not_found())?;
    let state = ctx.state();
    let s = planning::in_org::<entities::session::Entity>(state, &ctx.me, id).await?;
    let in_series = s.series_key.is_some();
    let place = place::Entity::find_by_id(s.place_id)
        .one(&state.db)
        .await?
        .ok_or_else(not_found)?;
    let session = queries::decorate(&state.db, vec![s], state.clock.now())
        .await?
        .pop()
        .ok_or_else(not_found)?;
    let rows = registration::Entity::find()
        .filter(registration::Column::SessionId.eq(id))
        .order_by_asc(registration::Column::Id)
        .all(&state.db)
        .await?;
    let stopped = crate::notifications::sms::inbound::opted_out_among(
        &state.db,
        ctx.me.organisation_id,
        rows.iter().filter_map(|r| r.phone.clone()),
    )
    .await?;
    let cancelled_ids: Vec<i32> = rows
        .iter()
        .filter(|r| r.status == RegistrationStatus::Cancelled)
        .map(|r| r.id)
        .collect();
    let mut told = told_how(ctx, &cancelled_ids).await?;
    let mut person = |r: &registration::Model, position: Option<usize>| Registrant {
        id: r.id,
        booking_code: crate::domain::booking_code::display(&r.booking_code),
        name: r.name.clone(),
        phone: r.phone.as_deref().map(french::phone),
        email: r.email.clone(),
        by_staff: r.booked_by == BookedBy::Staff,
        present: r.attendance == Attendance::Present,
        attendance: attendance_label(r.attendance),
        position,
        sms_stopped: r.phone.as_ref().is_some_and(|p| stopped.contains(p)),
        reached_by: {
            let sms = crate::notifications::sms::number_to_text(r.phone.as_deref(), r.sms_consent)
                .is_some_and(|p| !stopped.contains(&p));
            match (r.email.is_some(), sms) {
                (true, true) => Some("e-mail et SMS"),
                (true, false) => Some("e-mail"),
                (false, true) => Some("SMS"),
                (false, false) => None,
            }
        },
        told: told.remove(&r.id),
    };
    let mut confirmed = Vec::new();
    let mut waiting = Vec::new();
    let mut cancelled = Vec::new();
    for r in &rows {
        match r.status {
            RegistrationStatus::Confirmed => confirmed.push(person(r, None)),
            RegistrationStatus::Waitlisted => {
                let position = waiting.len() + 1;
                waiting.push(person(r, Some(position)));
            }
            RegistrationStatus::Cancelled => cancelled.push(person(r, None)),
        }
    }
    Ok(Loaded {
        session,
        place,
        in_series,
        confirmed,
        waiting,
        cancelled,
    })
}

pub(super) fn session_context(ctx: &StaffCtx, l: &Loaded) -> Value {
    let s = &l.session;
    let cancelled = s.status == SessionStatus::Cancelled;
    context! {
        id => s.id,
        title => &s.workshop_title,
        when => french::short_span(&s.starts_at, &s.ends_at, ctx.base.year()),
        place => &l.place.name,
        address => format!("{}, {} {}", l.place.address, l.place.postal_code, l.place.city),
        capacity => s.capacity,
        seats => if cancelled { "Séance annulée".to_string() } else { french::seats_left(s.seats_left) },
        full => s.seats_left <= 0,
        in_series => l.in_series,
        cancelled,
        cancel_reason => &s.cancel_reason,
        started => s.starts_at <= ctx.state().clock.now(),
    }
}

async fn session_page(
    ctx: &StaffCtx,
    id: &str,
    status: StatusCode,
    notice: Option<String>,
    values: Value,
    errors: FormErrors,
) -> PageResult {
    let l = load(ctx, id).await?;
    let session = session_context(ctx, &l);
    let record = crate::pages::staff::records::of_session(&ctx.state().db, l.session.id).await?;
    ctx.render_status(
        status,
        "staff/session.html",
        context! {
            nav => "seances",
            session,
            record,
            confirmed => &l.confirmed,
            waiting => &l.waiting,
            cancelled_count => l.cancelled.len(),
            cancelled_people => &l.cancelled,
            confirmed_text => french::people(l.confirmed.len()),
            notice,
            values,
            errors,
        },
    )
}

/// The notice after an action on the session page.
fn notice(done: &Done) -> Option<String> {
    let text = match done.fait.as_deref()? {
        "presences" => "Présences enregistrées.",
        "inscrite" => "La personne est inscrite : sa place est confirmée.",
        "attente" => "La séance est complète : la personne est inscrite sur la liste d'attente.",
        "place_ajoutee" => "Une place a été ajoutée : la personne est inscrite, sa place est confirmée.",
        "creee" => "Séance créée.",
        "annulee" => "Séance annulée : les personnes inscrites sont prévenues.",
        "modifiee" => {
            "Séance modifiée. Si la date, l'heure ou le lieu ont changé, les personnes inscrites sont prévenues."
        }
        "deplacee" => {
            "La personne est inscrite à l'autre séance et prévenue ; sa place ici est allée à la première personne en attente."
        }
        "retiree" => "La personne est retirée de la séance et prévenue, avec le motif.",
        "promue" => "La personne a une place confirmée ; elle est prévenue.",
        "serie_annulee" => {
            let n = done.n.unwrap_or(0);
            return Some(format!(
                "{n} séance{} de la série annulée{} : les personnes inscrites sont prévenues.",
                french::plural(n as usize),
                french::plural(n as usize)
            ));
        }
        _ => return None,
    };
    Some(text.to_string())
}

#[handler]
pub(crate) async fn show(ctx: StaffCtx, Path(id): Path<String>, Query(done): Query<Done>) -> PageResult {
    session_page(
        &ctx,
        &id,
        StatusCode::OK,
        notice(&done),
        context! {},
        FormErrors::default(),
    )
    .await
}

#[handler]
pub(crate) async fn attendance(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    let l = load(&ctx, &id).await?;
    let present: Vec<i32> = form.all("present").filter_map(|v| v.parse().ok()).collect();
    for r in &l.confirmed {
        let mark = if present.contains(&r.id) {
            Attendance::Present
        } else {
            Attendance::Absent
        };
        planning::mark_attendance(ctx.state(), &ctx.me, r.id, mark).await?;
    }
    Ok(see_other(&format!("/staff/seances/{}?fait=presences", l.session.id)))
}

#[handler]
pub(crate) async fn register(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let l = load(&ctx, &id).await?;
    let mut errors = FormErrors::default();
    let contact = forms::contact(&form, crate::domain::contact::Voice::Staff, &mut errors);
    let values = Value::from_serialize(form.values());
    let Some(contact) = contact.filter(|_| errors.is_empty()) else {
        return session_page(&ctx, &id, StatusCode::UNPROCESSABLE_ENTITY, None, values, errors).await;
    };
    let reach_field = if contact.phone.is_some() { "phone" } else { "email" };
    let sms = forms::sms_choice(&form);
    // "+1 place" at the counter: a seat added for the person in front of the agent.
    let extra_seat = form.checked("extra_seat") && l.session.seats_left <= 0;
    let done = if extra_seat {
        service::register_with_extra_seat(ctx.state(), l.session.id, contact, sms, ctx.me.id).await
    } else {
        service::register(ctx.state(), l.session.id, contact, sms, Booker::Staff(ctx.me.id)).await
    };
    match done {
        Ok(done) => {
            let fait = match (done.waitlist_position, extra_seat) {
                (Some(_), _) => "attente",
                (None, true) => "place_ajoutee",
                (None, false) => "inscrite",
            };
            Ok(see_other(&format!("/staff/seances/{}?fait={fait}", l.session.id)))
        }
        Err(e) => {
            let message = e.to_string();
            let field = match e {
                RegistrationError::AlreadyRegistered => reach_field,
                RegistrationError::Closed(RegistrationClosed::Closed | RegistrationClosed::SessionCancelled)
                | RegistrationError::Capacity(_) => "",
                other => return Err(PageError::internal(other)),
            };
            let mut errors = FormErrors::default();
            errors.add(field, message);
            session_page(&ctx, &id, StatusCode::CONFLICT, None, values, errors).await
        }
    }
}

#[handler]
pub(crate) async fn sheet(ctx: StaffCtx, Path(id): Path<String>) -> PageResult {
    let l = load(&ctx, &id).await?;
    let session = session_context(&ctx, &l);
    if l.session.status == SessionStatus::Cancelled {
        return ctx.render_status(
            StatusCode::CONFLICT,
            "staff/session_sheet_cancelled.html",
            context! { nav => "seances", session },
        );
    }
    // A few blank lines for people who come without registering.
    let blank_rows: Vec<usize> = (0..4).collect();
    ctx.render(
        "staff/sheet.html",
        context! { nav => "seances", session, confirmed => &l.confirmed, blank_rows },
    )
}
