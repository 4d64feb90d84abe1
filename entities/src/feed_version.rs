//! The version of a calendar feed last served, and since when (see
//! `notifications::feeds::last_modified` in the api crate).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feed_version")]
pub struct Model {
    /// The feed: `token-<feed_token.id>` or `place-<place.id>` for a place's public feed.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// The `ETag` of that version.
    pub etag: String,
    /// When it was first served, to the second (HTTP dates have no fractions).
    pub changed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
