//! Appointments on the console: a mediation point's day, booking on a resident's behalf, a
//! walk-in booked "sur place", moving and cancelling, recording whether they came. Through
//! `appointments::service`, as the admin API.
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use entities::{appointment, motif, place};
use minijinja::{Value, context};
use poem::{handler, http::StatusCode};
use serde::Serialize;

use crate::french;
use crate::pages::params::slot_param;
use crate::platform::org_scope::find_in_org;
use crate::{
    appointments::{
        dto::{AppointmentStatus, StaffAppointment},
        queries::{self, organisation_tz},
        service::{self, AppointmentError, Booker},
    },
    domain::{series::wall_to_utc_shifting_gaps, slots::Slot},
    pages::{PageError, PageResult, forms::FormErrors, session_cookie::StaffCtx},
};

pub(crate) mod book;
pub(crate) mod cancel;
pub(crate) mod day;
pub(crate) mod moving;
pub(crate) mod walk_in;

/// Places that take appointments: those offering at least one active reason.
async fn appointment_places(ctx: &StaffCtx) -> Result<Vec<place::Model>, PageError> {
    let db = &ctx.state().db;
    let offered = queries::offering_place_ids(db, None).await?;
    Ok(
        crate::places::queries::of_organisation(db, ctx.me.organisation_id, true)
            .await?
            .into_iter()
            .filter(|p| offered.contains(&p.id))
            .collect(),
    )
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
    let id: i32 = id.trim().parse().map_err(|_| not_found())?;
    let p = find_in_org::<place::Entity, _>(&ctx.state().db, ctx.me.organisation_id, id)
        .await?
        .ok_or_else(not_found)?;
    let tz = organisation_tz(&ctx.state().db, p.organisation_id).await?;
    Ok((p, tz))
}

async fn appointment_in_org(ctx: &StaffCtx, id: &str) -> Result<appointment::Model, PageError> {
    let not_found = || PageError::NotFound("Ce rendez-vous n'existe pas.".into());
    let id: i32 = id.parse().map_err(|_| not_found())?;
    find_in_org::<appointment::Entity, _>(&ctx.state().db, ctx.me.organisation_id, id)
        .await?
        .ok_or_else(not_found)
}

fn day_of(ctx: &StaffCtx, tz: Tz, raw: Option<&str>) -> (NaiveDate, NaiveDate) {
    let today = ctx.state().clock.now().with_timezone(&tz).date_naive();
    (raw.and_then(crate::pages::params::parse_date).unwrap_or(today), today)
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

/// The class of the status badge (the label says it too: never the colour alone).
fn status_kind(s: AppointmentStatus) -> &'static str {
    match s {
        AppointmentStatus::Booked => "booked",
        AppointmentStatus::Honoured => "honoured",
        AppointmentStatus::NoShow => "no-show",
        AppointmentStatus::Excused => "excused",
        AppointmentStatus::Cancelled => "cancelled",
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
    pub desk: i32,
    pub note: Option<String>,
    pub needs: Option<String>,
    pub status_label: &'static str,
    pub status_kind: &'static str,
    pub booked: bool,
    pub started: bool,
    /// The number answered "STOP": no SMS reach this person (filled where the phone shows).
    pub sms_stopped: bool,
}

impl AppointmentRow {
    pub(crate) fn new(a: &StaffAppointment, now: DateTime<Utc>) -> AppointmentRow {
        AppointmentRow {
            id: a.id,
            booking_code: a.booking_code.clone(),
            when: format!("{} – {}", french::time(&a.starts_at), french::time(&a.ends_at)),
            name: a.name.clone(),
            phone: shown_phone(a.phone.as_deref()),
            email: a.email.clone(),
            motif: a.motif_label.clone(),
            desk: a.desk,
            note: a.note.clone(),
            needs: a.accessibility_needs.clone(),
            status_label: status_label(a.status),
            status_kind: status_kind(a.status),
            booked: a.status == AppointmentStatus::Booked,
            started: a.starts_at.with_timezone(&Utc) <= now,
            sms_stopped: false,
        }
    }
}

/// A phone as the pages show it; none for a walk-in's or an erased booking's empty one.
fn shown_phone(stored: Option<&str>) -> Option<String> {
    stored.filter(|p| !p.is_empty()).map(french::phone)
}

/// Every active reason of the place, staff-only ones included.
async fn place_motifs(ctx: &StaffCtx, p: &place::Model) -> Result<Vec<motif::Model>, PageError> {
    Ok(queries::place_motifs(&ctx.state().db, p.id)
        .await?
        .into_iter()
        .filter(|m| m.active && m.organisation_id == ctx.me.organisation_id)
        .collect())
}

fn booker(ctx: &StaffCtx) -> Booker {
    Booker::Staff {
        staff_id: ctx.me.id,
        override_fair_use: false,
    }
}

async fn staff_motif(ctx: &StaffCtx, p: &place::Model, raw: &str) -> Result<motif::Model, PageError> {
    let not_offered = || PageError::NotFound("Ce motif n'est pas proposé dans ce lieu.".into());
    let id: i32 = raw.trim().parse().map_err(|_| not_offered())?;
    service::offered_motif(&ctx.state().db, p, id, booker(ctx))
        .await
        .map_err(|e| match e {
            AppointmentError::Db(e) => PageError::from(e),
            _ => not_offered(),
        })
}

/// Days of free slots shown to staff at once.
const STAFF_SLOT_DAYS: i64 = 7;

/// The free slots of `m` at `p` staff may book, from `day` for [`STAFF_SLOT_DAYS`] days: no
/// notice nor horizon, none already over.
async fn staff_slots(
    ctx: &StaffCtx,
    p: &place::Model,
    tz: Tz,
    m: &motif::Model,
    day: NaiveDate,
) -> Result<Vec<Slot>, PageError> {
    let now = ctx.state().clock.now();
    let midnight = |d: NaiveDate| wall_to_utc_shifting_gaps(tz, d.and_time(NaiveTime::MIN));
    let slots = queries::free_slots(
        &ctx.state().db,
        p,
        tz,
        m,
        None,
        now,
        midnight(day).max(now - service::duration(m)),
        midnight(day + Duration::days(STAFF_SLOT_DAYS)),
    )
    .await?;
    Ok(slots.into_iter().filter(|s| s.ends_at > now).collect())
}

/// One free slot as a page lists it: "9 h 30 (2 postes libres)", and its start for the link.
#[derive(Serialize)]
struct SlotLink {
    time: String,
    start: String,
}

/// The slots of one day.
#[derive(Serialize)]
struct SlotDay {
    day: String,
    slots: Vec<SlotLink>,
}

/// `slots` (sorted) grouped by day, in the organisation's words.
fn slot_days<'a>(slots: impl IntoIterator<Item = &'a Slot>, tz: Tz, this_year: i32) -> Vec<SlotDay> {
    let mut days: Vec<SlotDay> = Vec::new();
    for s in slots {
        let local = s.starts_at.with_timezone(&tz);
        let label = french::date(local.date_naive(), this_year);
        let free = s.free_desks.len();
        let link = SlotLink {
            time: format!(
                "{} ({} poste{} libre{})",
                french::time(&local),
                free,
                crate::french::plural(free),
                crate::french::plural(free)
            ),
            start: slot_param(s.starts_at),
        };
        match days.last_mut() {
            Some(d) if d.day == label => d.slots.push(link),
            _ => days.push(SlotDay {
                day: label,
                slots: vec![link],
            }),
        }
    }
    days
}

fn parse_slot(raw: &str) -> Option<DateTime<Utc>> {
    crate::pages::params::parse_slot_param(raw)
}

/// Where a change made from the agenda or from a place's day sends the agent back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Back {
    Agenda,
    Day,
}

impl Back {
    fn parse(raw: Option<&str>) -> Back {
        match raw {
            Some("agenda") => Back::Agenda,
            _ => Back::Day,
        }
    }

    fn value(self) -> &'static str {
        match self {
            Back::Agenda => "agenda",
            Back::Day => "lieu",
        }
    }

    /// The page to go back to, with the notice `done` and the appointment in view.
    fn url(self, place_id: i32, day: NaiveDate, done: &str, appointment_id: i32) -> String {
        match self {
            Back::Agenda => format!("/staff?jour={day}&fait={done}#rdv-{appointment_id}"),
            Back::Day => format!("/staff/lieux/{place_id}?jour={day}&fait={done}#rdv-{appointment_id}"),
        }
    }
}

/// The facts of an appointment a change form repeats.
async fn appointment_facts(ctx: &StaffCtx, a: &appointment::Model, tz: Tz) -> Result<Value, PageError> {
    let db = &ctx.state().db;
    let year = ctx.state().clock.now().with_timezone(&tz).year();
    let place = crate::places::queries::by_id(db, a.place_id).await?;
    let m = queries::motif(db, a.motif_id).await?;
    let reached = if a.email.is_some() {
        Some("par e-mail")
    } else if crate::notifications::sms::number_to_text(a.phone.as_deref(), a.sms_consent).is_some() {
        Some("par SMS")
    } else {
        None
    };
    Ok(context! {
        id => a.id,
        name => &a.name,
        code => crate::domain::booking_code::display(&a.booking_code),
        place_id => a.place_id,
        place => place.map(|p| p.name).unwrap_or_default(),
        motif => m.map(|m| m.label).unwrap_or_default(),
        when => french::short_at(&a.starts_at.with_timezone(&tz), year),
        desk => a.desk,
        day => a.starts_at.with_timezone(&tz).date_naive().to_string(),
        phone => shown_phone(a.phone.as_deref()),
        reached,
        sequence => a.ical_sequence,
        booked => a.status == AppointmentStatus::Booked,
        status_label => status_label(a.status),
    })
}

/// A form sent about an appointment that changed since the form was shown (moved, cancelled,
/// marked): the agent must look at it again rather than overwrite it.
fn is_stale(a: &appointment::Model, form: &crate::pages::forms::FormData) -> bool {
    form.get("sequence").trim().parse::<i32>().ok() != Some(a.ical_sequence)
}

const STALE: &str = "Ce rendez-vous a changé depuis l'ouverture de cette page (déplacé, annulé ou noté). \
                     Vérifiez ce qui est affiché ci-dessous avant de recommencer.";
