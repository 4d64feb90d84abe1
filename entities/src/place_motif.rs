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
pub enum Relation {
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

impl ActiveModelBehavior for ActiveModel {}
