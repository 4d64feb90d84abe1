//! Read models: sessions with what a resident needs to choose one.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entities::{organisation, place, registration, session, workshop};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait},
};

use entities::kinds::SessionStatus;

use super::dto::{RegistrationStatus, RegistrationView, Session};
use crate::{
    notifications::{history, payload::BookingKind},
    platform::time::{local, parse_tz},
};

#[derive(Debug, Default, Clone)]
pub(crate) struct SessionFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub place_id: Option<i32>,
    pub workshop_id: Option<i32>,
    pub organisation_id: Option<i32>,
    pub include_cancelled: bool,
    pub limit: u64,
}

#[derive(FromQueryResult)]
struct WaitCount {
    session_id: i32,
    n: i64,
}

/// Sessions with their workshop and place names and live seat counts, in four queries
/// whatever the number of sessions.
pub(crate) async fn sessions<C: ConnectionTrait>(
    db: &C,
    f: &SessionFilter,
    now: DateTime<Utc>,
) -> Result<Vec<Session>, DbErr> {
    let mut q = session::Entity::find()
        .order_by_asc(session::Column::StartsAt)
        .order_by_asc(session::Column::Id);
    if let Some(from) = f.from {
        q = q.filter(session::Column::EndsAt.gt(from));
    }
    if let Some(to) = f.to {
        q = q.filter(session::Column::StartsAt.lt(to));
    }
    if let Some(p) = f.place_id {
        q = q.filter(session::Column::PlaceId.eq(p));
    }
    if let Some(w) = f.workshop_id {
        q = q.filter(session::Column::WorkshopId.eq(w));
    }
    if let Some(o) = f.organisation_id {
        q = q.filter(session::Column::OrganisationId.eq(o));
    }
    if !f.include_cancelled {
        q = q.filter(session::Column::Status.eq("scheduled"));
    }
    let rows = q.limit(Ord::max(f.limit, 1)).all(db).await?;
    decorate(db, rows, now).await
}

pub(crate) async fn decorate<C: ConnectionTrait>(
    db: &C,
    rows: Vec<session::Model>,
    now: DateTime<Utc>,
) -> Result<Vec<Session>, DbErr> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<i32> = rows.iter().map(|s| s.id).collect();
    let waits: HashMap<i32, i64> = registration::Entity::find()
        .select_only()
        .column(registration::Column::SessionId)
        .column_as(Expr::col(registration::Column::Id).count(), "n")
        .filter(registration::Column::SessionId.is_in(ids))
        .filter(registration::Column::Status.eq("waitlisted"))
        .group_by(registration::Column::SessionId)
        .into_model::<WaitCount>()
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.session_id, w.n))
        .collect();
    let workshops: HashMap<i32, String> = workshop::Entity::find()
        .filter(workshop::Column::Id.is_in(rows.iter().map(|s| s.workshop_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.id, w.title))
        .collect();
    let places: HashMap<i32, String> = place::Entity::find()
        .filter(place::Column::Id.is_in(rows.iter().map(|s| s.place_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let zones: HashMap<i32, chrono_tz::Tz> = organisation::Entity::find()
        .filter(organisation::Column::Id.is_in(rows.iter().map(|s| s.organisation_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, parse_tz(&o.timezone)))
        .collect();
    Ok(rows
        .into_iter()
        .map(|s| {
            let tz = zones
                .get(&s.organisation_id)
                .copied()
                .unwrap_or(chrono_tz::Europe::Paris);
            let names = (
                workshops.get(&s.workshop_id).cloned().unwrap_or_default(),
                places.get(&s.place_id).cloned().unwrap_or_default(),
            );
            let waiting = waits.get(&s.id).copied().unwrap_or(0) as i32;
            view(s, names, tz, waiting, now)
        })
        .collect())
}

/// A session as residents see it, from its row, its (workshop title, place name), the zone
/// and the waiting-list length.
pub(crate) fn view(
    s: session::Model,
    names: (String, String),
    tz: chrono_tz::Tz,
    waitlist_count: i32,
    now: DateTime<Utc>,
) -> Session {
    let scheduled = s.status == SessionStatus::Scheduled;
    Session {
        id: s.id,
        workshop_id: s.workshop_id,
        workshop_title: names.0,
        place_id: s.place_id,
        place_name: names.1,
        starts_at: local(tz, s.starts_at),
        ends_at: local(tz, s.ends_at),
        capacity: s.capacity,
        seats_left: if scheduled {
            Ord::max(s.capacity - s.seats_taken, 0)
        } else {
            0
        },
        waitlist_count,
        status: s.status,
        registration_closes_at: local(tz, s.registration_closes_at),
        registration_open: scheduled && now < s.registration_closes_at,
        facilitator_id: s.facilitator_id,
        desks: s.desks.as_deref().map(|d| {
            super::desks::decode(Some(d))
                .into_iter()
                .filter_map(|n| i32::try_from(n).ok())
                .collect()
        }),
        cancel_reason: s.cancel_reason,
    }
}

pub(crate) async fn session<C: ConnectionTrait>(db: &C, id: i32, now: DateTime<Utc>) -> Result<Option<Session>, DbErr> {
    let Some(s) = session::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    Ok(decorate(db, vec![s], now).await?.pop())
}

/// The catalogue by title: the organisation's whole catalogue (inactive entries included)
/// when given one, else the active entries residents see.
pub(crate) async fn catalogue<C: ConnectionTrait>(
    db: &C,
    organisation_id: Option<i32>,
) -> Result<Vec<workshop::Model>, DbErr> {
    let q = match organisation_id {
        Some(id) => workshop::Entity::find().filter(workshop::Column::OrganisationId.eq(id)),
        None => workshop::Entity::find().filter(workshop::Column::Active.eq(true)),
    };
    q.order_by_asc(workshop::Column::Title).all(db).await
}

/// The session's registrations in the order they were made.
pub(crate) async fn registrations<C: ConnectionTrait>(
    db: &C,
    session_id: i32,
) -> Result<Vec<registration::Model>, DbErr> {
    registration::Entity::find()
        .filter(registration::Column::SessionId.eq(session_id))
        .order_by_asc(registration::Column::Id)
        .all(db)
        .await
}

/// When a standing registration's session started before its last move (the person moved
/// to another session, or the session's time changed), in the organisation's zone; `None`
/// when it never moved or no longer stands.
pub(crate) async fn moved_from<C: ConnectionTrait>(
    db: &C,
    r: &RegistrationView,
) -> Result<Option<DateTime<chrono_tz::Tz>>, DbErr> {
    if r.status == RegistrationStatus::Cancelled {
        return Ok(None);
    }
    let before = history::before_last_move(db, BookingKind::Registration, r.id)
        .await?
        .filter(|before| *before != r.session.starts_at.with_timezone(&Utc));
    let Some(before) = before else { return Ok(None) };
    let tz = match place::Entity::find_by_id(r.session.place_id).one(db).await? {
        Some(p) => crate::appointments::queries::organisation_tz(db, p.organisation_id).await?,
        None => chrono_tz::Europe::Paris,
    };
    Ok(Some(before.with_timezone(&tz)))
}
