use sea_orm::entity::prelude::*;

use crate::kinds::{Attendance, BookedBy, RegistrationStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "registration")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub session_id: i32,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub email_key: Option<String>,
    pub phone_key: Option<String>,
    /// The name as "one registration per person" compares it (see `PersonName::key`).
    pub name_key: String,
    pub status: RegistrationStatus,
    pub attendance: Attendance,
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
    pub consent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub cancelled_at: Option<DateTimeUtc>,
    /// The person accepted confirmations and reminders by SMS.
    pub sms_consent: bool,
    /// When the person was given a seat from the waiting list (`None`: never waitlisted, or
    /// still waiting).
    pub promoted_at: Option<DateTimeUtc>,
    /// When its personal data was erased (retention or on request); the row stays, anonymised.
    pub erased_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::session::Entity",
        from = "Column::SessionId",
        to = "super::session::Column::Id"
    )]
    Session,
    #[sea_orm(
        belongs_to = "super::staff_member::Entity",
        from = "Column::BookedByStaffId",
        to = "super::staff_member::Column::Id"
    )]
    BookedByStaff,
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl Related<super::staff_member::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::BookedByStaff.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
