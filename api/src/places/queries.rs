//! Reading places: the open ones residents see, an organisation's for its staff, and their
//! names for lists that show other rows.
use std::collections::HashMap;

use entities::place;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

/// What every lookup of a place answers when it is not the caller's.
pub(crate) const PLACE_NOT_FOUND: &str = "Ce lieu n'existe pas.";

/// Every open place, by name.
pub(crate) async fn active<C: ConnectionTrait>(db: &C) -> Result<Vec<place::Model>, DbErr> {
    place::Entity::find()
        .filter(place::Column::Active.eq(true))
        .order_by_asc(place::Column::Name)
        .all(db)
        .await
}

/// The place `id` if it is open: a closed place answers as absent to residents.
pub(crate) async fn active_by_id<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<place::Model>, DbErr> {
    place::Entity::find_by_id(id)
        .filter(place::Column::Active.eq(true))
        .one(db)
        .await
}

/// The place `id`, open or not, whatever its organisation: for a row that already names it.
pub(crate) async fn by_id<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<place::Model>, DbErr> {
    place::Entity::find_by_id(id).one(db).await
}

/// The organisation's places, by name; closed ones too unless `only_active`.
pub(crate) async fn of_organisation<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
    only_active: bool,
) -> Result<Vec<place::Model>, DbErr> {
    let mut q = place::Entity::find().filter(place::Column::OrganisationId.eq(organisation_id));
    if only_active {
        q = q.filter(place::Column::Active.eq(true));
    }
    q.order_by_asc(place::Column::Name).all(db).await
}

/// The names of the organisation's places, by id.
pub(crate) async fn names<C: ConnectionTrait>(db: &C, organisation_id: i32) -> Result<HashMap<i32, String>, DbErr> {
    Ok(of_organisation(db, organisation_id, false)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}
