use sea_orm::entity::prelude::*;

use crate::kinds::PlaceKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "place")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub organisation_id: i32,
    pub name: String,
    pub kind: PlaceKind,
    pub address: String,
    pub postal_code: String,
    pub city: String,
    pub public_phone: Option<String>,
    pub equipment: Option<String>,
    pub access_notes: Option<String>,
    pub desks: i32,
    pub close_on_public_holidays: bool,
    pub active: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organisation::Entity",
        from = "Column::OrganisationId",
        to = "super::organisation::Column::Id"
    )]
    Organisation,
    #[sea_orm(has_many = "super::session::Entity")]
    Sessions,
    #[sea_orm(has_many = "super::appointment::Entity")]
    Appointments,
    #[sea_orm(has_many = "super::opening_rule::Entity")]
    OpeningRules,
    #[sea_orm(has_many = "super::closure::Entity")]
    Closures,
    #[sea_orm(has_many = "super::extra_opening::Entity")]
    ExtraOpenings,
}

impl Related<super::organisation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organisation.def()
    }
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Sessions.def()
    }
}

impl Related<super::appointment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Appointments.def()
    }
}

impl Related<super::opening_rule::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OpeningRules.def()
    }
}

impl Related<super::closure::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Closures.def()
    }
}

impl Related<super::extra_opening::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ExtraOpenings.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
