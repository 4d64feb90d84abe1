use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "place_motif")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub place_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub motif_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
