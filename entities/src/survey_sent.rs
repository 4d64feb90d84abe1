//! How many survey invitations were sent, per organisation, place, workshop or reason and
//! month: the denominator of the response rate, with nothing personal in it. Several rows
//! may share a key (two first invitations of a month racing): readers add them up.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_sent")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub sent: i32,
    pub organisation_id: i32,
    pub place_id: i32,
    pub workshop_id: Option<i32>,
    pub motif_id: Option<i32>,
    pub month: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
