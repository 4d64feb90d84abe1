//! One session's page: its registrants, waiting list and attendance; registering someone at
//! the counter; the printable attendance sheet.
use entities::kinds::{BookedBy, RegistrationStatus, SessionStatus};
use entities::{place, registration, session};
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
        planning::{self},
        queries::{self},
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
    pub(super) confirmed: Vec<Registrant>,
    pub(super) waiting: Vec<Registrant>,
    pub(super) cancelled: Vec<Registrant>,
}

pub(super) async fn load(ctx: &StaffCtx, id: &str) -> Result<Loaded, PageError> {
    let not_found = || PageError::NotFound("Cette séance n'existe pas.".into());
    let id: i32 = id.parse().map_err(|_| not_found())?;
    let state = ctx.state();
    let s = planning::in_org::<session::Entity>(state, &ctx.me, id).await?;
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
    let person = |r: &registration::Model, position: Option<usize>| Registrant {
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
    };
    let confirmed = rows
        .iter()
        .filter(|r| r.status == RegistrationStatus::Confirmed)
        .map(|r| person(r, None))
        .collect();
    let waiting = rows
        .iter()
        .filter(|r| r.status == RegistrationStatus::Waitlisted)
        .enumerate()
        .map(|(i, r)| person(r, Some(i + 1)))
        .collect();
    let cancelled = rows
        .iter()
        .filter(|r| r.status == RegistrationStatus::Cancelled)
        .map(|r| person(r, None))
        .collect();
    Ok(Loaded {
        session,
        place,
        confirmed,
        waiting,
        cancelled,
    })
}

pub(super) fn session_context(ctx: &StaffCtx, l: &Loaded) -> Value {
    let s = &l.session;
    context! {
        id => s.id,
        title => &s.workshop_title,
        when => french::short_span(&s.starts_at, &s.ends_at, ctx.base.year()),
        place => &l.place.name,
        address => format!("{}, {} {}", l.place.address, l.place.postal_code, l.place.city),
        capacity => s.capacity,
        seats => french::seats_left(s.seats_left),
        cancelled => s.status == SessionStatus::Cancelled,
        cancel_reason => &s.cancel_reason,
        started => s.starts_at <= ctx.state().clock.now(),
    }
}

async fn session_page(
    ctx: &StaffCtx,
    id: &str,
    status: StatusCode,
    notice: Option<&str>,
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

#[handler]
pub(crate) async fn show(ctx: StaffCtx, Path(id): Path<String>, Query(done): Query<Done>) -> PageResult {
    let notice = match done.fait.as_deref() {
        Some("presences") => Some("Présences enregistrées."),
        Some("inscrite") => Some("La personne est inscrite : sa place est confirmée."),
        Some("attente") => Some("La séance est complète : la personne est inscrite sur la liste d'attente."),
        Some("creee") => Some("Séance créée."),
        Some("annulee") => Some("Séance annulée : les personnes inscrites sont prévenues."),
        _ => None,
    };
    session_page(&ctx, &id, StatusCode::OK, notice, context! {}, FormErrors::default()).await
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
    match service::register(
        ctx.state(),
        l.session.id,
        contact,
        forms::sms_choice(&form),
        Booker::Staff(ctx.me.id),
    )
    .await
    {
        Ok(done) => {
            let fait = if done.waitlist_position.is_some() {
                "attente"
            } else {
                "inscrite"
            };
            Ok(see_other(&format!("/staff/seances/{}?fait={fait}", l.session.id)))
        }
        Err(e) => {
            let message = e.to_string();
            let field = match e {
                RegistrationError::AlreadyRegistered => reach_field,
                RegistrationError::Closed(RegistrationClosed::Closed | RegistrationClosed::SessionCancelled) => "",
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
    // A few blank lines for people who come without registering.
    let blank_rows: Vec<usize> = (0..4).collect();
    ctx.render(
        "staff/sheet.html",
        context! { nav => "seances", session, confirmed => &l.confirmed, blank_rows },
    )
}
