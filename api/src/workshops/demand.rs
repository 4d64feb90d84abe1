//! How wanted each workshop is, so that `/ateliers` shows the most wanted first. The measure:
//! the registrations made over the last [`DEMAND_DAYS`] days, waiting list and cancelled ones
//! included (each is someone who wanted a seat), whatever the session's date.
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entities::{registration, session};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait};

/// The window the demand is counted over.
pub(crate) const DEMAND_DAYS: i64 = 90;

/// Registrations made since `now - DEMAND_DAYS`, per workshop id.
pub(crate) async fn recent_registrations<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> Result<HashMap<i32, i64>, DbErr> {
    let rows: Vec<(i32, i64)> = registration::Entity::find()
        .select_only()
        .column(session::Column::WorkshopId)
        .column_as(registration::Column::Id.count(), "n")
        .join(JoinType::InnerJoin, registration::Relation::Session.def())
        .filter(registration::Column::CreatedAt.gte(now - Duration::days(DEMAND_DAYS)))
        .group_by(session::Column::WorkshopId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Sorts workshops (given in the order of their next session) by demand, most wanted first;
/// equal demand keeps the order of the next session.
pub(crate) fn most_wanted_first<T>(workshops: &mut [T], id: impl Fn(&T) -> i32, demand: &HashMap<i32, i64>) {
    workshops.sort_by_key(|w| std::cmp::Reverse(demand.get(&id(w)).copied().unwrap_or(0)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_registered_workshop_comes_first_and_ties_keep_the_date_order() {
        let mut ids = vec![1, 2, 3, 4];
        let demand = HashMap::from([(3, 12), (2, 5), (4, 5)]);
        most_wanted_first(&mut ids, |w| *w, &demand);
        assert_eq!(ids, [3, 2, 4, 1]);
    }
}
