use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "place")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub organisation_id: i32,
    pub name: String,
    pub kind: String,
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
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
