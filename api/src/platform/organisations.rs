//! Reading organisations: the site's own (the first one: a deployment serves one town) and
//! one by id.
use entities::organisation;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryOrder};

/// The organisation the public site belongs to, if there is one yet.
pub(crate) async fn site<C: ConnectionTrait>(db: &C) -> Result<Option<organisation::Model>, DbErr> {
    organisation::Entity::find()
        .order_by_asc(organisation::Column::Id)
        .one(db)
        .await
}

/// The organisation `id`.
pub(crate) async fn by_id<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<organisation::Model>, DbErr> {
    organisation::Entity::find_by_id(id).one(db).await
}
