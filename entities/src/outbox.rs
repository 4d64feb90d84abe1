use sea_orm::entity::prelude::*;

use crate::kinds::{BookingKind, CalendarMethod, Channel, Event, OutboxStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i32,
    pub kind: Event,
    pub booking_kind: Option<BookingKind>,
    pub booking_id: Option<i32>,
    pub recipient_name: String,
    pub recipient_email: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    pub ical_uid: Option<String>,
    pub ical_sequence: Option<i32>,
    pub ical_method: Option<CalendarMethod>,
    pub not_before: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub locked_until: Option<DateTimeUtc>,
    pub locked_by: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub message_id: String,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    /// E-mail or SMS.
    pub channel: Channel,
    /// The mobile number of an SMS row (E.164).
    pub recipient_phone: Option<String>,
    /// The secret the SMS gateway's delivery report must carry (random, one per message).
    pub sms_secret: Option<String>,
    /// When the gateway last reported on an SMS (delivered or not).
    pub reported_at: Option<DateTimeUtc>,
    /// Staff changed something the person must know: if no channel reaches them, they go on
    /// the calls list (set on the e-mail row of the message).
    pub call_if_unreached: bool,
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
