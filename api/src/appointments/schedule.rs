//! Loading what the pure slot computation needs from the database: a place's
//! [`Schedule`] (rules, extras, closures) and the [`Busy`] desks of its appointments and
//! workshop sessions.
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use entities::kinds::{AppointmentStatus, SessionStatus};
use entities::{appointment, closure, extra_opening, opening_rule, place, session};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::rules::{weekday_from_number, weeks_from_column};
use crate::domain::slots::{Busy, Closure, ExtraOpening, OpeningRule, Schedule};
use crate::workshops::desks;

/// A stored rule as the slot computation reads it; `None` for a row with an impossible
/// weekday (never written by the API).
pub(crate) fn to_rule(row: &opening_rule::Model) -> Option<OpeningRule> {
    Some(OpeningRule {
        weekday: weekday_from_number(row.weekday)?,
        start: row.start_time,
        end: row.end_time,
        weeks_of_month: weeks_from_column(row.weeks_of_month.as_deref()),
        valid_from: row.valid_from,
        valid_to: row.valid_to,
    })
}

pub(crate) fn to_extra(row: &extra_opening::Model) -> ExtraOpening {
    ExtraOpening {
        date: row.date,
        start: row.start_time,
        end: row.end_time,
    }
}

pub(crate) fn to_closure(row: &closure::Model) -> Closure {
    Closure {
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        // A negative desk (never written by the API) closes nothing.
        desk: row.desk.map(|d| u32::try_from(d).unwrap_or(u32::MAX)),
    }
}

pub(crate) fn to_busy(row: &appointment::Model) -> Busy {
    Busy {
        desk: u32::try_from(row.desk).unwrap_or(u32::MAX),
        starts_at: row.starts_at,
        ends_at: row.ends_at,
    }
}

/// Every weekly rule of a place, ordered by weekday then opening time.
pub(crate) async fn rules<C: ConnectionTrait>(db: &C, place_id: i32) -> Result<Vec<opening_rule::Model>, DbErr> {
    opening_rule::Entity::find()
        .filter(opening_rule::Column::PlaceId.eq(place_id))
        .order_by_asc(opening_rule::Column::Weekday)
        .order_by_asc(opening_rule::Column::StartTime)
        .order_by_asc(opening_rule::Column::Id)
        .all(db)
        .await
}

/// The schedule of `place` for any question about instants within `[from, to)`: all its
/// rules, the extras of the local dates around that range and the closures overlapping it.
pub(crate) async fn load_schedule<C: ConnectionTrait>(
    db: &C,
    place: &place::Model,
    tz: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Schedule, DbErr> {
    let rules = rules(db, place.id).await?.iter().filter_map(to_rule).collect();
    // A day's margin each side: local dates and UTC instants do not line up.
    let first_date = (from - Duration::days(1)).with_timezone(&tz).date_naive();
    let last_date = (to + Duration::days(1)).with_timezone(&tz).date_naive();
    let extras = extra_opening::Entity::find()
        .filter(extra_opening::Column::PlaceId.eq(place.id))
        .filter(extra_opening::Column::Date.gte(first_date))
        .filter(extra_opening::Column::Date.lte(last_date))
        .all(db)
        .await?
        .iter()
        .map(to_extra)
        .collect();
    let closures = closure::Entity::find()
        .filter(closure::Column::PlaceId.eq(place.id))
        .filter(closure::Column::StartsAt.lt(to))
        .filter(closure::Column::EndsAt.gt(from))
        .all(db)
        .await?
        .iter()
        .map(to_closure)
        .collect();
    Ok(Schedule {
        tz,
        desks: u32::try_from(place.desks).unwrap_or(0),
        rules,
        extras,
        closures,
        close_on_public_holidays: place.close_on_public_holidays,
    })
}

/// What occupies the place's desks within `[from, to)`: its appointments, leaving out
/// `except` (the appointment being moved, which must not block its own new time), and the
/// workshop sessions not cancelled, on the desks each takes.
pub(crate) async fn load_busy<C: ConnectionTrait>(
    db: &C,
    place_id: i32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    except: Option<i32>,
) -> Result<Vec<Busy>, DbErr> {
    let mut q = appointment::Entity::find()
        .filter(appointment::Column::PlaceId.eq(place_id))
        .filter(appointment::Column::Status.ne(AppointmentStatus::Cancelled))
        .filter(appointment::Column::StartsAt.lt(to))
        .filter(appointment::Column::EndsAt.gt(from));
    if let Some(id) = except {
        q = q.filter(appointment::Column::Id.ne(id));
    }
    let mut busy: Vec<Busy> = q.all(db).await?.iter().map(to_busy).collect();
    let sessions = session::Entity::find()
        .filter(session::Column::PlaceId.eq(place_id))
        .filter(session::Column::Status.ne(SessionStatus::Cancelled))
        .filter(session::Column::Desks.is_not_null())
        .filter(session::Column::StartsAt.lt(to))
        .filter(session::Column::EndsAt.gt(from))
        .all(db)
        .await?;
    busy.extend(sessions.iter().flat_map(session_busy));
    Ok(busy)
}

/// The desks a workshop session occupies while it runs.
fn session_busy(s: &session::Model) -> impl Iterator<Item = Busy> + '_ {
    desks::decode(s.desks.as_deref()).into_iter().map(|desk| Busy {
        desk,
        starts_at: s.starts_at,
        ends_at: s.ends_at,
    })
}
