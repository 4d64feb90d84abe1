//! Per person, for the survey alone: a keyed hash of one of their contacts (e-mail or phone,
//! HMAC with the server secret), when they were last invited (at most once a week) and
//! whether they refused surveys. Never joined to invitations nor answers.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_contact")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub organisation_id: i32,
    pub key_hash: String,
    pub last_invited_at: Option<DateTimeUtc>,
    pub refused_at: Option<DateTimeUtc>,
    /// The hash of the "no more surveys" link's token, shared by the rows of one person.
    pub stop_hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
