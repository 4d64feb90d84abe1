//! Reading staff accounts: one member, the organisation's members, their names for lists
//! that show who made a row.
use std::collections::HashMap;

use entities::staff_member;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

/// The member `id`, whatever its organisation: for a row or a token that already names it.
pub(crate) async fn member<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<staff_member::Model>, DbErr> {
    staff_member::Entity::find_by_id(id).one(db).await
}

/// The organisation's staff accounts, by name.
pub(crate) async fn members<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
) -> Result<Vec<staff_member::Model>, DbErr> {
    staff_member::Entity::find()
        .filter(staff_member::Column::OrganisationId.eq(organisation_id))
        .order_by_asc(staff_member::Column::Name)
        .all(db)
        .await
}

/// The names of these members, by id (those that still exist).
pub(crate) async fn names<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = i32>,
) -> Result<HashMap<i32, String>, DbErr> {
    Ok(staff_member::Entity::find()
        .filter(staff_member::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.name))
        .collect())
}

/// The names of the organisation's members, by id.
pub(crate) async fn organisation_names<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
) -> Result<HashMap<i32, String>, DbErr> {
    Ok(members(db, organisation_id)
        .await?
        .into_iter()
        .map(|m| (m.id, m.name))
        .collect())
}
