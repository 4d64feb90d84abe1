use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisation")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    pub timezone: String,
    pub contact_email: String,
    pub contact_phone: Option<String>,
    pub reminder_offsets: String,
    pub max_future_appointments: i32,
    pub created_at: DateTimeUtc,
    /// The sender name of its SMS (at most 11 letters or digits); unset: taken from the name.
    pub sms_sender: Option<String>,
    /// A random part of its bookings' iCalendar UIDs (`registration-12-k3j4h5m2@host`), drawn
    /// when the organisation is created; empty for organisations older than it.
    pub calendar_uid_part: String,
    /// The most SMS segments it may send in a calendar month of its zone; unset: no limit.
    pub sms_monthly_budget: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::place::Entity")]
    Places,
    #[sea_orm(has_many = "super::workshop::Entity")]
    Workshops,
    #[sea_orm(has_many = "super::staff_member::Entity")]
    StaffMembers,
    #[sea_orm(has_many = "super::motif::Entity")]
    Motifs,
}

impl Related<super::place::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Places.def()
    }
}

impl Related<super::workshop::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Workshops.def()
    }
}

impl Related<super::staff_member::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::StaffMembers.def()
    }
}

impl Related<super::motif::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Motifs.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
