use sea_orm::entity::prelude::*;

use crate::kinds::BookingKind;

/// The claim that makes a booking code unique within an organisation, across registrations
/// and appointments: its key is (organisation, code).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "booking_code")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organisation_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub booking_kind: BookingKind,
    pub booking_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organisation::Entity",
        from = "Column::OrganisationId",
        to = "super::organisation::Column::Id"
    )]
    Organisation,
}

impl Related<super::organisation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organisation.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
