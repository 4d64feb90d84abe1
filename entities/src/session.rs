use sea_orm::entity::prelude::*;

use crate::kinds::SessionStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "session")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub organisation_id: i32,
    pub workshop_id: i32,
    pub place_id: i32,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub capacity: i32,
    pub seats_taken: i32,
    pub facilitator_id: Option<i32>,
    pub status: SessionStatus,
    pub registration_closes_at: DateTimeUtc,
    pub series_key: Option<String>,
    pub cancel_reason: Option<String>,
    /// The feeds' `SEQUENCE`: grows when the time or place changes, or it is cancelled.
    pub ical_sequence: i32,
    /// At a mediation point, the desks the session occupies (`"1,2"`): they take no
    /// appointment meanwhile. `None`: no desk.
    pub desks: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organisation::Entity",
        from = "Column::OrganisationId",
        to = "super::organisation::Column::Id"
    )]
    Organisation,
    #[sea_orm(
        belongs_to = "super::workshop::Entity",
        from = "Column::WorkshopId",
        to = "super::workshop::Column::Id"
    )]
    Workshop,
    #[sea_orm(
        belongs_to = "super::place::Entity",
        from = "Column::PlaceId",
        to = "super::place::Column::Id"
    )]
    Place,
    #[sea_orm(
        belongs_to = "super::staff_member::Entity",
        from = "Column::FacilitatorId",
        to = "super::staff_member::Column::Id"
    )]
    Facilitator,
    #[sea_orm(has_many = "super::registration::Entity")]
    Registrations,
}

impl Related<super::organisation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organisation.def()
    }
}

impl Related<super::workshop::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Workshop.def()
    }
}

impl Related<super::place::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Place.def()
    }
}

impl Related<super::staff_member::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Facilitator.def()
    }
}

impl Related<super::registration::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Registrations.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
