//! The public figures (`/statistiques`): aggregates of a year per place and per workshop,
//! never a name. A group of fewer than [`THRESHOLD`] people shows neither its people nor its
//! bookings (a small group's figures could point at someone); the number of sessions held,
//! which says nothing about anyone, is always shown.
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use entities::{place, session, workshop};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query, UnionType};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use super::StatsFilter;
use super::compute::{Scope, appointment_people, get, people_and_bookings, registration_people};

/// Below this many people, a group's figures are not published.
pub const THRESHOLD: i64 = 5;

/// A count as published: the number, or "fewer than five".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Published {
    Count(i64),
    UnderThreshold,
}

/// One place or workshop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    pub name: String,
    pub people: Published,
    pub bookings: Published,
    pub sessions_held: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicFigures {
    pub year: i32,
    pub people: Published,
    pub bookings: Published,
    pub places: Vec<Group>,
    pub workshops: Vec<Group>,
}

/// `bookings` published only when `people` reaches the threshold.
fn publish(people: i64, bookings: i64) -> (Published, Published) {
    if people < THRESHOLD {
        (Published::UnderThreshold, Published::UnderThreshold)
    } else {
        (Published::Count(people), Published::Count(bookings))
    }
}

/// (people, bookings) per group id, from a query of `group`, `person` rows.
async fn per_group<C: ConnectionTrait>(
    db: &C,
    rows: sea_orm::sea_query::SelectStatement,
) -> Result<Vec<(i32, i64, i64)>, DbErr> {
    let mut q = people_and_bookings(rows);
    q.column("grp").group_by_col("grp");
    let mut out = Vec::new();
    for row in db.query_all(&q).await? {
        out.push((
            row.try_get::<i32>("", "grp")?,
            get(&row, "people")?,
            get(&row, "bookings")?,
        ));
    }
    Ok(out)
}

/// The public figures of `year` for `organisation_id`.
pub async fn figures<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
    year: i32,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<PublicFigures, DbErr> {
    let scope = Scope::new(&StatsFilter::year(year), organisation_id, tz);
    let mut by_place = registration_people(&scope, Some(session::Column::PlaceId));
    by_place.union(UnionType::All, appointment_people(&scope, true));
    let places = per_group(db, by_place).await?;
    let workshops = per_group(db, registration_people(&scope, Some(session::Column::WorkshopId))).await?;

    let held = |group: session::Column| {
        let mut q = Query::select();
        q.from(session::Entity);
        scope.sessions(&mut q);
        q.and_where(Expr::col((session::Entity, session::Column::StartsAt)).lt(now))
            .expr_as(Expr::col((session::Entity, group)), "grp")
            .expr_as(Func::count(Expr::col((session::Entity, session::Column::Id))), "n")
            .group_by_col("grp");
        q
    };
    let held_count = |rows: &[QueryResultRow], id: i32| rows.iter().find(|r| r.0 == id).map(|r| r.1).unwrap_or(0);
    let held_by_place = counts(db, held(session::Column::PlaceId)).await?;
    let held_by_workshop = counts(db, held(session::Column::WorkshopId)).await?;

    let mut total = registration_people(&scope, None);
    total.union(UnionType::All, appointment_people(&scope, false));
    let q = people_and_bookings(total);
    let (people, bookings) = match db.query_one(&q).await? {
        Some(row) => (get(&row, "people")?, get(&row, "bookings")?),
        None => (0, 0),
    };
    let (people, bookings) = publish(people, bookings);

    let group = |name: String, id: i32, found: &[(i32, i64, i64)], held: &[QueryResultRow]| {
        let (p, b) = found.iter().find(|g| g.0 == id).map(|g| (g.1, g.2)).unwrap_or((0, 0));
        let (people, bookings) = publish(p, b);
        Group {
            name,
            people,
            bookings,
            sessions_held: held_count(held, id),
        }
    };
    let place_rows = place::Entity::find()
        .filter(place::Column::OrganisationId.eq(organisation_id))
        .filter(place::Column::Active.eq(true))
        .order_by_asc(place::Column::Name)
        .all(db)
        .await?;
    let workshop_rows = workshop::Entity::find()
        .filter(workshop::Column::OrganisationId.eq(organisation_id))
        .filter(workshop::Column::Active.eq(true))
        .order_by_asc(workshop::Column::Title)
        .all(db)
        .await?;
    Ok(PublicFigures {
        year,
        people,
        bookings,
        places: place_rows
            .into_iter()
            .map(|p| group(p.name, p.id, &places, &held_by_place))
            .collect(),
        workshops: workshop_rows
            .into_iter()
            .map(|w| group(w.title, w.id, &workshops, &held_by_workshop))
            .collect(),
    })
}

/// (group id, count).
type QueryResultRow = (i32, i64);

async fn counts<C: ConnectionTrait>(
    db: &C,
    q: sea_orm::sea_query::SelectStatement,
) -> Result<Vec<QueryResultRow>, DbErr> {
    let mut out = Vec::new();
    for row in db.query_all(&q).await? {
        out.push((row.try_get::<i32>("", "grp")?, get(&row, "n")?));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_of_four_is_not_published_and_a_group_of_five_is() {
        assert_eq!(publish(4, 9), (Published::UnderThreshold, Published::UnderThreshold));
        assert_eq!(publish(5, 9), (Published::Count(5), Published::Count(9)));
        assert_eq!(publish(0, 0).0, Published::UnderThreshold);
    }
}
