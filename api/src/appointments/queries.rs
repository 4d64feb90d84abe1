//! Read models: reasons, opening hours, free slots, appointments and agendas, each built in
//! a fixed number of queries.
use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use entities::{appointment, closure, extra_opening, motif, opening_rule, organisation, place, place_motif};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::{
    dto::{
        self, AgendaDay, AppointmentStatus, AppointmentView, FreeSlot, HolidayClosure, Opening, OpeningHours,
        PublicClosure, StaffAppointment, StaffMotif, weekday_out,
    },
    rules::describe_rule,
    schedule::{load_busy, load_schedule, rules, to_rule},
    service,
};
use crate::{
    domain::{
        holidays::is_french_public_holiday,
        series::wall_to_utc_shifting_gaps,
        slots::{BookingWindow, Slot, compute_slots},
    },
    platform::time::{local, parse_tz},
};

/// How far ahead the public opening hours list extras, closures and holidays.
pub(crate) const OPENING_HOURS_DAYS: i64 = 90;

pub(crate) fn hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

/// The zone of an organisation (Europe/Paris when unknown).
pub(crate) async fn organisation_tz<C: ConnectionTrait>(db: &C, organisation_id: i32) -> Result<Tz, DbErr> {
    Ok(organisation::Entity::find_by_id(organisation_id)
        .one(db)
        .await?
        .map_or(chrono_tz::Europe::Paris, |o| parse_tz(&o.timezone)))
}

pub(crate) fn rule_view(row: &opening_rule::Model) -> Option<dto::OpeningRule> {
    let rule = to_rule(row)?;
    Some(dto::OpeningRule {
        id: row.id,
        place_id: row.place_id,
        weekday: weekday_out(rule.weekday),
        start_time: hhmm(rule.start),
        end_time: hhmm(rule.end),
        description: describe_rule(&rule),
        weeks_of_month: rule.weeks_of_month,
        valid_from: rule.valid_from,
        valid_to: rule.valid_to,
    })
}

pub(crate) fn extra_view(row: extra_opening::Model) -> dto::ExtraOpening {
    dto::ExtraOpening {
        id: row.id,
        place_id: row.place_id,
        date: row.date,
        start_time: hhmm(row.start_time),
        end_time: hhmm(row.end_time),
        note: row.note,
    }
}

pub(crate) fn closure_view(row: closure::Model, tz: Tz) -> dto::Closure {
    dto::Closure {
        id: row.id,
        place_id: row.place_id,
        desk: row.desk,
        starts_at: local(tz, row.starts_at),
        ends_at: local(tz, row.ends_at),
        reason: row.reason,
        created_at: local(tz, row.created_at),
    }
}

/// For each reason, the places offering it (by place id).
pub(crate) async fn motif_places<C: ConnectionTrait>(
    db: &C,
    motif_ids: &[i32],
) -> Result<HashMap<i32, Vec<i32>>, DbErr> {
    let mut out: HashMap<i32, Vec<i32>> = HashMap::new();
    if motif_ids.is_empty() {
        return Ok(out);
    }
    let rows = place_motif::Entity::find()
        .filter(place_motif::Column::MotifId.is_in(motif_ids.iter().copied()))
        .order_by_asc(place_motif::Column::PlaceId)
        .all(db)
        .await?;
    for r in rows {
        out.entry(r.motif_id).or_default().push(r.place_id);
    }
    Ok(out)
}

pub(crate) fn public_motif(m: motif::Model, places: &HashMap<i32, Vec<i32>>) -> dto::Motif {
    dto::Motif {
        place_ids: places.get(&m.id).cloned().unwrap_or_default(),
        id: m.id,
        label: m.label,
        duration_minutes: m.duration_minutes,
        instructions: m.instructions,
        min_notice_minutes: m.min_notice_minutes,
        horizon_days: m.horizon_days,
    }
}

pub(crate) fn staff_motif(m: motif::Model, places: &HashMap<i32, Vec<i32>>) -> StaffMotif {
    StaffMotif {
        place_ids: places.get(&m.id).cloned().unwrap_or_default(),
        id: m.id,
        label: m.label,
        duration_minutes: m.duration_minutes,
        bookable_online: m.bookable_online,
        min_notice_minutes: m.min_notice_minutes,
        horizon_days: m.horizon_days,
        instructions: m.instructions,
        position: m.position,
        active: m.active,
    }
}

/// Reasons residents can book online, in display order; only those offered at `place_id`
/// (an active place) when given, else those offered at any active place.
pub(crate) async fn online_motifs<C: ConnectionTrait>(db: &C, place_id: Option<i32>) -> Result<Vec<dto::Motif>, DbErr> {
    let active_places: Vec<i32> = place::Entity::find()
        .filter(place::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .filter(|id| place_id.is_none_or(|wanted| wanted == *id))
        .collect();
    let rows = motif::Entity::find()
        .filter(motif::Column::Active.eq(true))
        .filter(motif::Column::BookableOnline.eq(true))
        .order_by_asc(motif::Column::Position)
        .order_by_asc(motif::Column::Label)
        .all(db)
        .await?;
    let ids: Vec<i32> = rows.iter().map(|m| m.id).collect();
    let mut places = motif_places(db, &ids).await?;
    for list in places.values_mut() {
        list.retain(|p| active_places.contains(p));
    }
    Ok(rows
        .into_iter()
        .filter(|m| places.get(&m.id).is_some_and(|p| !p.is_empty()))
        .map(|m| public_motif(m, &places))
        .collect())
}

/// Appointments as staff see them, with their reason's label.
pub(crate) async fn staff_appointments<C: ConnectionTrait>(
    db: &C,
    rows: Vec<appointment::Model>,
    tz: Tz,
) -> Result<Vec<StaffAppointment>, DbErr> {
    let labels: HashMap<i32, String> = if rows.is_empty() {
        HashMap::new()
    } else {
        motif::Entity::find()
            .filter(motif::Column::Id.is_in(rows.iter().map(|a| a.motif_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.id, m.label))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|a| StaffAppointment {
            id: a.id,
            booking_code: crate::domain::booking_code::display(&a.booking_code),
            place_id: a.place_id,
            motif_label: labels.get(&a.motif_id).cloned().unwrap_or_default(),
            motif_id: a.motif_id,
            desk: a.desk,
            starts_at: local(tz, a.starts_at),
            ends_at: local(tz, a.ends_at),
            name: a.name,
            email: a.email,
            phone: a.phone,
            note: a.note,
            accessibility_needs: a.accessibility_needs,
            status: a.status,
            booked_by: a.booked_by.to_string(),
            cancel_reason: a.cancel_reason,
            created_at: local(tz, a.created_at),
        })
        .collect())
}

pub(crate) async fn staff_appointment<C: ConnectionTrait>(
    db: &C,
    a: appointment::Model,
) -> Result<StaffAppointment, DbErr> {
    let tz = organisation_tz(db, a.organisation_id).await?;
    staff_appointments(db, vec![a], tz)
        .await?
        .pop()
        .ok_or_else(|| DbErr::Custom("no appointment".into()))
}

/// What the holder of the manage token sees.
pub(crate) async fn appointment_view<C: ConnectionTrait>(
    db: &C,
    a: appointment::Model,
    now: DateTime<Utc>,
) -> Result<AppointmentView, DbErr> {
    let tz = organisation_tz(db, a.organisation_id).await?;
    let p = place::Entity::find_by_id(a.place_id)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("place of an appointment".into()))?;
    let m = motif::Entity::find_by_id(a.motif_id)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("motif of an appointment".into()))?;
    Ok(AppointmentView {
        can_change: service::resident_may_change(&a, now),
        id: a.id,
        booking_code: crate::domain::booking_code::display(&a.booking_code),
        name: a.name,
        status: a.status,
        motif_id: m.id,
        motif_label: m.label,
        instructions: m.instructions,
        place_id: p.id,
        place_name: p.name,
        place_address: format!("{}, {} {}", p.address, p.postal_code, p.city),
        place_phone: p.public_phone,
        place_access: p.access_notes,
        starts_at: local(tz, a.starts_at),
        ends_at: local(tz, a.ends_at),
        cancel_reason: a.cancel_reason,
    })
}

/// A place's weekly rules and what changes them over the next [`OPENING_HOURS_DAYS`] days.
pub(crate) async fn opening_hours<C: ConnectionTrait>(
    db: &C,
    p: &place::Model,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<OpeningHours, DbErr> {
    let today = now.with_timezone(&tz).date_naive();
    let last = today + Duration::days(OPENING_HOURS_DAYS);
    let rule_rows = rules(db, p.id).await?;
    let in_force: Vec<&opening_rule::Model> = rule_rows
        .iter()
        .filter(|r| r.valid_to.is_none_or(|to| to >= today))
        .collect();
    let extras = extra_opening::Entity::find()
        .filter(extra_opening::Column::PlaceId.eq(p.id))
        .filter(extra_opening::Column::Date.gte(today))
        .filter(extra_opening::Column::Date.lte(last))
        .order_by_asc(extra_opening::Column::Date)
        .order_by_asc(extra_opening::Column::StartTime)
        .all(db)
        .await?;
    let closures = closure::Entity::find()
        .filter(closure::Column::PlaceId.eq(p.id))
        .filter(closure::Column::Desk.is_null())
        .filter(closure::Column::EndsAt.gt(now))
        .filter(closure::Column::StartsAt.lt(now + Duration::days(OPENING_HOURS_DAYS)))
        .order_by_asc(closure::Column::StartsAt)
        .all(db)
        .await?;
    let domain_rules: Vec<_> = in_force.iter().filter_map(|r| to_rule(r)).collect();
    let public_holidays = if p.close_on_public_holidays {
        today
            .iter_days()
            .take_while(|d| *d <= last)
            .filter_map(|date| {
                let name = is_french_public_holiday(date)?;
                domain_rules.iter().any(|r| r.applies_on(date)).then(|| HolidayClosure {
                    date,
                    name: name.to_string(),
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(OpeningHours {
        place_id: p.id,
        place_name: p.name.clone(),
        timezone: tz.name().to_string(),
        desks: p.desks,
        close_on_public_holidays: p.close_on_public_holidays,
        rules: in_force.into_iter().filter_map(rule_view).collect(),
        extra_openings: extras.into_iter().map(extra_view).collect(),
        closures: closures
            .into_iter()
            .map(|c| PublicClosure {
                starts_at: local(tz, c.starts_at),
                ends_at: local(tz, c.ends_at),
                reason: c.reason,
            })
            .collect(),
        public_holidays,
    })
}

/// Free slots of `m` at `p` within `[from, to)`, for residents (`window`) or staff (`None`).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn free_slots<C: ConnectionTrait>(
    db: &C,
    p: &place::Model,
    tz: Tz,
    m: &motif::Model,
    window: Option<&BookingWindow>,
    now: DateTime<Utc>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Slot>, DbErr> {
    let schedule = load_schedule(db, p, tz, from, to).await?;
    let busy = load_busy(db, p.id, from, to, None).await?;
    Ok(compute_slots(
        &schedule,
        &busy,
        service::duration(m),
        window,
        now,
        from,
        to,
    ))
}

pub(crate) fn free_slot_view(s: Slot, tz: Tz) -> FreeSlot {
    FreeSlot {
        start: local(tz, s.starts_at),
        end: local(tz, s.ends_at),
        free_desks: s.free_desks.len() as i32,
    }
}

/// The place's days from `first` (1 to 7 of them): openings, closures and appointments.
pub(crate) async fn agenda<C: ConnectionTrait>(
    db: &C,
    p: &place::Model,
    tz: Tz,
    first: NaiveDate,
    days: u32,
    include_cancelled: bool,
) -> Result<dto::Agenda, DbErr> {
    let dates: Vec<NaiveDate> = first.iter_days().take(days as usize).collect();
    let midnight = |date: NaiveDate| wall_to_utc_shifting_gaps(tz, date.and_time(NaiveTime::MIN));
    let (Some(first_day), Some(last_day)) = (dates.first().copied(), dates.last().copied()) else {
        return Ok(dto::Agenda {
            place_id: p.id,
            place_name: p.name.clone(),
            desks: p.desks,
            timezone: tz.name().to_string(),
            days: Vec::new(),
        });
    };
    let from = midnight(first_day);
    let to = midnight(last_day + Duration::days(1));
    let schedule = load_schedule(db, p, tz, from, to).await?;
    let mut q = appointment::Entity::find()
        .filter(appointment::Column::PlaceId.eq(p.id))
        .filter(appointment::Column::StartsAt.gte(from))
        .filter(appointment::Column::StartsAt.lt(to))
        .order_by_asc(appointment::Column::StartsAt)
        .order_by_asc(appointment::Column::Desk)
        .order_by_asc(appointment::Column::Id);
    if !include_cancelled {
        q = q.filter(appointment::Column::Status.ne(AppointmentStatus::Cancelled));
    }
    let appointments = staff_appointments(db, q.all(db).await?, tz).await?;
    let closures = closure::Entity::find()
        .filter(closure::Column::PlaceId.eq(p.id))
        .filter(closure::Column::StartsAt.lt(to))
        .filter(closure::Column::EndsAt.gt(from))
        .order_by_asc(closure::Column::StartsAt)
        .all(db)
        .await?;

    let mut out = Vec::with_capacity(dates.len());
    for date in dates {
        let (day_from, day_to) = (midnight(date), midnight(date + Duration::days(1)));
        let holiday = is_french_public_holiday(date);
        let rules_apply = !(schedule.close_on_public_holidays && holiday.is_some());
        let mut periods: Vec<(NaiveTime, NaiveTime)> = schedule
            .rules
            .iter()
            .filter(|r| rules_apply && r.applies_on(date))
            .map(|r| (r.start, r.end))
            .chain(
                schedule
                    .extras
                    .iter()
                    .filter(|e| e.date == date)
                    .map(|e| (e.start, e.end)),
            )
            .filter(|(start, end)| end > start)
            .collect();
        periods.sort_unstable();
        periods.dedup();
        let openings = periods
            .into_iter()
            .map(|(start, end)| Opening {
                starts_at: local(tz, wall_to_utc_shifting_gaps(tz, date.and_time(start))),
                ends_at: local(tz, wall_to_utc_shifting_gaps(tz, date.and_time(end))),
            })
            .collect();
        let day_closures = closures
            .iter()
            .filter(|c| c.starts_at < day_to && c.ends_at > day_from)
            .cloned()
            .map(|c| closure_view(c, tz))
            .collect();
        let day_appointments = appointments
            .iter()
            .filter(|a| {
                let start = a.starts_at.with_timezone(&Utc);
                start >= day_from && start < day_to
            })
            .cloned()
            .collect();
        out.push(AgendaDay {
            date,
            public_holiday: holiday.map(str::to_string),
            openings,
            closures: day_closures,
            appointments: day_appointments,
        });
    }
    Ok(dto::Agenda {
        place_id: p.id,
        place_name: p.name.clone(),
        desks: p.desks,
        timezone: tz.name().to_string(),
        days: out,
    })
}

/// The reason `id`, whatever its organisation: for a row that already names it.
pub(crate) async fn motif<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<motif::Model>, DbErr> {
    motif::Entity::find_by_id(id).one(db).await
}

/// Every reason of the organisation, inactive ones included, in display order.
pub(crate) async fn organisation_motifs<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
) -> Result<Vec<motif::Model>, DbErr> {
    motif::Entity::find()
        .filter(motif::Column::OrganisationId.eq(organisation_id))
        .order_by_asc(motif::Column::Position)
        .order_by_asc(motif::Column::Label)
        .all(db)
        .await
}

/// The ids of the places offering the reason `motif_id`, or any reason when `None`.
pub(crate) async fn offering_place_ids<C: ConnectionTrait>(db: &C, motif_id: Option<i32>) -> Result<Vec<i32>, DbErr> {
    let mut q = place_motif::Entity::find();
    if let Some(id) = motif_id {
        q = q.filter(place_motif::Column::MotifId.eq(id));
    }
    Ok(q.all(db).await?.into_iter().map(|pm| pm.place_id).collect())
}

/// The reasons the place offers, active or not, in display order.
pub(crate) async fn place_motifs<C: ConnectionTrait>(db: &C, place_id: i32) -> Result<Vec<motif::Model>, DbErr> {
    let ids: Vec<i32> = place_motif::Entity::find()
        .filter(place_motif::Column::PlaceId.eq(place_id))
        .all(db)
        .await?
        .into_iter()
        .map(|pm| pm.motif_id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    motif::Entity::find()
        .filter(motif::Column::Id.is_in(ids))
        .order_by_asc(motif::Column::Position)
        .order_by_asc(motif::Column::Label)
        .all(db)
        .await
}

/// The place's extra openings on `from` and after, in date order.
pub(crate) async fn extra_openings_from<C: ConnectionTrait>(
    db: &C,
    place_id: i32,
    from: NaiveDate,
) -> Result<Vec<extra_opening::Model>, DbErr> {
    extra_opening::Entity::find()
        .filter(extra_opening::Column::PlaceId.eq(place_id))
        .filter(extra_opening::Column::Date.gte(from))
        .order_by_asc(extra_opening::Column::Date)
        .order_by_asc(extra_opening::Column::StartTime)
        .all(db)
        .await
}

/// The place's closures ending after `from`, soonest first.
pub(crate) async fn closures_ending_after<C: ConnectionTrait>(
    db: &C,
    place_id: i32,
    from: DateTime<Utc>,
) -> Result<Vec<closure::Model>, DbErr> {
    closure::Entity::find()
        .filter(closure::Column::PlaceId.eq(place_id))
        .filter(closure::Column::EndsAt.gt(from))
        .order_by_asc(closure::Column::StartsAt)
        .all(db)
        .await
}

/// The organisation's appointments starting in `[from, to)`, cancelled ones left out,
/// soonest first.
pub(crate) async fn organisation_appointments_between<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<appointment::Model>, DbErr> {
    appointment::Entity::find()
        .filter(appointment::Column::OrganisationId.eq(organisation_id))
        .filter(appointment::Column::StartsAt.gte(from))
        .filter(appointment::Column::StartsAt.lt(to))
        .filter(appointment::Column::Status.ne(AppointmentStatus::Cancelled))
        .order_by_asc(appointment::Column::StartsAt)
        .all(db)
        .await
}
