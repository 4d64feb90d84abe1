//! A survey invitation waiting for its answer: the hash of its single-use token, when it
//! expires, and what the answer will be filed under. Neither the booking nor the person:
//! the row is deleted when the answer is stored.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_invitation")]
pub struct Model {
    /// Random, not a sequence.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub token_hash: String,
    /// Midnight (UTC) after the 14th day from sending: rounded to the day.
    pub expires_at: DateTimeUtc,
    pub organisation_id: i32,
    pub place_id: i32,
    pub workshop_id: Option<i32>,
    pub motif_id: Option<i32>,
    /// `YYYY-MM`, in the organisation's zone.
    pub month: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
