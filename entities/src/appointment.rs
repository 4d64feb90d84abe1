use sea_orm::entity::prelude::*;

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
    pub status: String,
    pub booked_by: String,
    pub booked_by_staff_id: Option<i32>,
    #[sea_orm(unique)]
    pub manage_token_hash: String,
    pub ical_sequence: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub cancel_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub cancelled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
