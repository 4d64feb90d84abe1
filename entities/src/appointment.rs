use sea_orm::entity::prelude::*;

use crate::kinds::{AppointmentStatus, BookedBy};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "appointment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub organisation_id: i32,
    pub place_id: i32,
    pub motif_id: i32,
    pub desk: i32,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub email_key: Option<String>,
    pub phone_key: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub accessibility_needs: Option<String>,
    pub status: AppointmentStatus,
    pub booked_by: BookedBy,
    pub booked_by_staff_id: Option<i32>,
    #[sea_orm(unique)]
    pub manage_token_hash: String,
    /// The short code the resident quotes (`K7P4QX`, shown `K7P-4QX`); claimed in `booking_code`.
    pub booking_code: String,
    /// The hash of the token given when the booking was last found again by its code and
    /// contact (`/retrouver`); the mailed manage link keeps working beside it.
    pub found_token_hash: Option<String>,
    /// What the manage token is derived from with the server secret (`None`: made before).
    pub manage_key: Option<String>,
    pub ical_sequence: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub cancel_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub cancelled_at: Option<DateTimeUtc>,
    /// The person accepted confirmations and reminders by SMS.
    pub sms_consent: bool,
    /// When its personal data was erased (retention or on request); the row stays, anonymised.
    pub erased_at: Option<DateTimeUtc>,
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
        belongs_to = "super::place::Entity",
        from = "Column::PlaceId",
        to = "super::place::Column::Id"
    )]
    Place,
    #[sea_orm(
        belongs_to = "super::motif::Entity",
        from = "Column::MotifId",
        to = "super::motif::Column::Id"
    )]
    Motif,
    #[sea_orm(
        belongs_to = "super::staff_member::Entity",
        from = "Column::BookedByStaffId",
        to = "super::staff_member::Column::Id"
    )]
    BookedByStaff,
    #[sea_orm(has_many = "super::appointment_claim::Entity")]
    Claims,
}

impl Related<super::organisation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organisation.def()
    }
}

impl Related<super::place::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Place.def()
    }
}

impl Related<super::motif::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Motif.def()
    }
}

impl Related<super::staff_member::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::BookedByStaff.def()
    }
}

impl Related<super::appointment_claim::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Claims.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
