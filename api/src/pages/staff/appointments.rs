//! Appointments on the console: a mediation point's day, booking on a resident's behalf,
//! recording whether they came. Through `appointments::service`, as the admin API.
use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use entities::{appointment, motif, place, place_motif};
use minijinja::{Value, context};
use poem::{
    handler,
    http::StatusCode,
    web::{Path, Query},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

use crate::french;
use crate::pages::params::{parse_date, slot_param};
use crate::platform::org_scope::find_in_org;
use crate::{
    appointments::{
        dto::{AppointmentStatus, StaffAppointment},
        queries::{self, organisation_tz},
        service::{self, AppointmentError, Booker, NewAppointment, Outcome},
    },
    domain::{contact::free_text, series::wall_to_utc_shifting_gaps},
    pages::{
        PageError, PageResult, error,
        forms::{self, FormData, FormErrors},
        see_other,
        session_cookie::StaffCtx,
        workshops::duration_words,
    },
};

/// Places that take appointments: those offering at least one active reason.
async fn appointment_places(ctx: &StaffCtx) -> Result<Vec<place::Model>, PageError> {
    let db = &ctx.state().db;
    let offered: Vec<i32> = place_motif::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|pm| pm.place_id)
        .collect();
    Ok(place::Entity::find()
        .filter(place::Column::OrganisationId.eq(ctx.me.organisation_id))
        .filter(place::Column::Active.eq(true))
        .order_by_asc(place::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .filter(|p| offered.contains(&p.id))
        .collect())
}

#[handler]
pub(crate) async fn places(ctx: StaffCtx) -> PageResult {
    let today = ctx
        .state()
        .clock
        .now()
        .with_timezone(&ctx.state().settings.timezone)
        .date_naive();
    let export = crate::exports::pages::period_form(
        &crate::exports::pages::PeriodQuery::this_month(today),
        &FormErrors::default(),
    );
    places_page(&ctx, export, StatusCode::OK).await
}

/// The list of places, with the export form (`export`: its values and errors).
pub(crate) async fn places_page(ctx: &StaffCtx, export: Value, status: StatusCode) -> PageResult {
    #[derive(Serialize)]
    struct Row {
        id: i32,
        name: String,
    }
    let rows: Vec<Row> = appointment_places(ctx)
        .await?
        .into_iter()
        .map(|p| Row { id: p.id, name: p.name })
        .collect();
    ctx.render_status(
        status,
        "staff/appointment_places.html",
        context! { nav => "rendez-vous", places => rows, export },
    )
}

async fn place_in_org(ctx: &StaffCtx, id: &str) -> Result<(place::Model, Tz), PageError> {
    let not_found = || PageError::NotFound("Ce lieu n'existe pas.".into());
    let id: i32 = id.parse().map_err(|_| not_found())?;
    let p = find_in_org::<place::Entity, _>(&ctx.state().db, ctx.me.organisation_id, id)
        .await?
        .ok_or_else(|| PageError::NotFound("Ce lieu n'existe pas.".into()))?;
    let tz = organisation_tz(&ctx.state().db, p.organisation_id).await?;
    Ok((p, tz))
}

#[derive(Deserialize)]
pub(crate) struct DayQuery {
    jour: Option<String>,
    fait: Option<String>,
    motif: Option<String>,
    debut: Option<String>,
}

fn day_of(ctx: &StaffCtx, tz: Tz, raw: Option<&str>) -> (NaiveDate, NaiveDate) {
    let today = ctx.state().clock.now().with_timezone(&tz).date_naive();
    (raw.and_then(parse_date).unwrap_or(today), today)
}

pub(crate) fn status_label(s: AppointmentStatus) -> &'static str {
    match s {
        AppointmentStatus::Booked => "Prévu",
        AppointmentStatus::Honoured => "Venu",
        AppointmentStatus::NoShow => "Absent",
        AppointmentStatus::Excused => "Absent excusé",
        AppointmentStatus::Cancelled => "Annulé",
    }
}

#[derive(Serialize)]
pub(crate) struct AppointmentRow {
    pub id: i32,
    pub booking_code: String,
    pub when: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub motif: String,
    pub note: Option<String>,
    pub needs: Option<String>,
    pub status_label: &'static str,
    pub booked: bool,
    pub started: bool,
    /// The number answered "STOP": no SMS reach this person (filled where the phone shows).
    pub sms_stopped: bool,
}

impl AppointmentRow {
    pub(crate) fn new(a: &StaffAppointment, now: chrono::DateTime<Utc>) -> AppointmentRow {
        AppointmentRow {
            id: a.id,
            booking_code: a.booking_code.clone(),
            when: format!("{} – {}", french::time(&a.starts_at), french::time(&a.ends_at)),
            name: a.name.clone(),
            phone: a.phone.as_deref().map(french::phone),
            email: a.email.clone(),
            motif: a.motif_label.clone(),
            note: a.note.clone(),
            needs: a.accessibility_needs.clone(),
            status_label: status_label(a.status),
            booked: a.status == AppointmentStatus::Booked,
            started: a.starts_at.with_timezone(&Utc) <= now,
            sms_stopped: false,
        }
    }
}

#[handler]
pub(crate) async fn day_view(ctx: StaffCtx, Path(place_id): Path<String>, Query(q): Query<DayQuery>) -> PageResult {
    let (p, tz) = place_in_org(&ctx, &place_id).await?;
    let (day, today) = day_of(&ctx, tz, q.jour.as_deref());
    let agenda = queries::agenda(&ctx.state().db, &p, tz, day, 1, false).await?;
    let now = ctx.state().clock.now();
    let d = agenda.days.into_iter().next();
    let openings: Vec<String> = d
        .as_ref()
        .map(|d| {
            d.openings
                .iter()
                .map(|o| format!("{} – {}", french::time(&o.starts_at), french::time(&o.ends_at)))
                .collect()
        })
        .unwrap_or_default();
    let closures: Vec<String> = d
        .as_ref()
        .map(|d| {
            d.closures
                .iter()
                .map(|c| {
                    let who = c
                        .desk
                        .map(|n| format!("poste {n}"))
                        .unwrap_or_else(|| "tout le lieu".into());
                    format!(
                        "{} – {}, {who} : {}",
                        french::time(&c.starts_at),
                        french::time(&c.ends_at),
                        c.reason
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let phones: Vec<String> = d
        .iter()
        .flat_map(|d| d.appointments.iter())
        .filter_map(|a| a.phone.clone())
        .collect();
    let stopped =
        crate::notifications::sms::inbound::opted_out_among(&ctx.state().db, ctx.me.organisation_id, phones).await?;
    let appointments: Vec<AppointmentRow> = d
        .as_ref()
        .map(|d| {
            d.appointments
                .iter()
                .map(|a| AppointmentRow {
                    sms_stopped: a.phone.as_ref().is_some_and(|p| stopped.contains(p)),
                    ..AppointmentRow::new(a, now)
                })
                .collect()
        })
        .unwrap_or_default();
    let ids: Vec<i32> = appointments.iter().map(|a| a.id).collect();
    let records = super::records::of_appointments(&ctx.state().db, &ids).await?;
    let notice = match q.fait.as_deref() {
        Some("reserve") => Some("Rendez-vous enregistré."),
        Some("note") => Some("Présence enregistrée."),
        _ => None,
    };
    ctx.render(
        "staff/appointment_day.html",
        context! {
            nav => "rendez-vous",
            place_id => p.id,
            place_name => &p.name,
            day_text => french::date(day, today.year()),
            is_today => day == today,
            day => day.to_string(),
            previous => (day - Duration::days(1)).to_string(),
            next => (day + Duration::days(1)).to_string(),
            holiday => d.as_ref().and_then(|d| d.public_holiday.clone()),
            openings,
            closures,
            appointments,
            records,
            notice,
        },
    )
}

/// Every active reason of the place, staff-only ones included.
async fn place_motifs(ctx: &StaffCtx, p: &place::Model) -> Result<Vec<motif::Model>, PageError> {
    let db = &ctx.state().db;
    let ids: Vec<i32> = place_motif::Entity::find()
        .filter(place_motif::Column::PlaceId.eq(p.id))
        .all(db)
        .await?
        .into_iter()
        .map(|pm| pm.motif_id)
        .collect();
    Ok(motif::Entity::find()
        .filter(motif::Column::Id.is_in(ids))
        .filter(motif::Column::Active.eq(true))
        .filter(motif::Column::OrganisationId.eq(ctx.me.organisation_id))
        .order_by_asc(motif::Column::Position)
        .order_by_asc(motif::Column::Label)
        .all(db)
        .await?)
}

fn booker(ctx: &StaffCtx) -> Booker {
    Booker::Staff {
        staff_id: ctx.me.id,
        override_fair_use: false,
    }
}

async fn staff_motif(ctx: &StaffCtx, p: &place::Model, raw: &str) -> Result<motif::Model, PageError> {
    let not_offered = || PageError::NotFound("Ce motif n'est pas proposé dans ce lieu.".into());
    let id: i32 = raw.parse().map_err(|_| not_offered())?;
    service::offered_motif(&ctx.state().db, p, id, booker(ctx))
        .await
        .map_err(|e| match e {
            AppointmentError::Db(e) => PageError::from(e),
            _ => not_offered(),
        })
}

/// Days of free slots shown to staff at once.
const STAFF_SLOT_DAYS: i64 = 7;

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
    let now = ctx.state().clock.now();
    let midnight = |d: NaiveDate| wall_to_utc_shifting_gaps(tz, d.and_time(NaiveTime::MIN));
    let slots = queries::free_slots(
        &ctx.state().db,
        &p,
        tz,
        &m,
        None,
        now,
        midnight(day).max(now - Duration::minutes(i64::from(m.duration_minutes))),
        midnight(day + Duration::days(STAFF_SLOT_DAYS)),
    )
    .await?;
    #[derive(Serialize)]
    struct Link {
        time: String,
        start: String,
    }
    #[derive(Serialize)]
    struct Day {
        day: String,
        slots: Vec<Link>,
    }
    let mut days: Vec<Day> = Vec::new();
    for s in slots.iter().filter(|s| s.ends_at > now) {
        let local = s.starts_at.with_timezone(&tz);
        let label = french::date(local.date_naive(), today.year());
        let link = Link {
            time: format!(
                "{} ({} poste{} libre{})",
                french::time(&local),
                s.free_desks.len(),
                plural(s.free_desks.len()),
                plural(s.free_desks.len())
            ),
            start: slot_param(s.starts_at),
        };
        match days.last_mut() {
            Some(d) if d.day == label => d.slots.push(link),
            _ => days.push(Day {
                day: label,
                slots: vec![link],
            }),
        }
    }
    ctx.render(
        "staff/appointment_slots.html",
        context! {
            nav => "rendez-vous",
            place_id => p.id,
            place_name => &p.name,
            motif => context! { id => m.id, label => &m.label, duration => duration_words(i64::from(m.duration_minutes)) },
            day => day.to_string(),
            next => (day + Duration::days(STAFF_SLOT_DAYS)).to_string(),
            days,
        },
    )
}

fn plural(n: usize) -> &'static str {
    if n > 1 { "s" } else { "" }
}

fn parse_slot(raw: &str) -> Option<chrono::DateTime<Utc>> {
    chrono::DateTime::parse_from_rfc3339(raw.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

#[allow(clippy::too_many_arguments)]
fn details_page(
    ctx: &StaffCtx,
    p: &place::Model,
    tz: Tz,
    m: &motif::Model,
    start: chrono::DateTime<Utc>,
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

async fn appointment_in_org(ctx: &StaffCtx, id: &str) -> Result<appointment::Model, PageError> {
    let not_found = || PageError::NotFound("Ce rendez-vous n'existe pas.".into());
    let id: i32 = id.parse().map_err(|_| not_found())?;
    find_in_org::<appointment::Entity, _>(&ctx.state().db, ctx.me.organisation_id, id)
        .await?
        .ok_or_else(not_found)
}

#[handler]
pub(crate) async fn mark(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let a = appointment_in_org(&ctx, &id).await?;
    let outcome = match form.get("outcome") {
        "honoured" => Outcome::Honoured,
        "no_show" => Outcome::NoShow,
        "excused" => Outcome::Excused,
        _ => return Err(PageError::BadRequest("Choisissez « Venu » ou « Absent ».".into())),
    };
    let tz = organisation_tz(&ctx.state().db, a.organisation_id).await?;
    let day = a.starts_at.with_timezone(&tz).date_naive();
    match service::mark(ctx.state(), a.id, outcome).await {
        Ok(_) => Ok(see_other(&format!(
            "/staff/lieux/{}?jour={day}&fait=note#rdv-{}",
            a.place_id, a.id
        ))),
        Err(e) => Err(PageError::from(e)),
    }
}
