use sea_orm::entity::prelude::*;

/// One sign-in throttling bucket (see `auth::sign_in` in the api crate).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_throttle")]
pub struct Model {
    /// A hash naming the account, or the account and a client address.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// When the bucket is empty again, in milliseconds since 1970.
    pub tat_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
