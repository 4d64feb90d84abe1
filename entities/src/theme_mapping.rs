//! The themes staff give a reason (motif) or a workshop: what its activity records are
//! pre-filled with. One row per motif or workshop that has themes.
use sea_orm::entity::prelude::*;

/// What a mapping gives themes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
pub enum MappedKind {
    Motif,
    Workshop,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "theme_mapping")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub target_kind: MappedKind,
    /// The motif's or the workshop's id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub target_id: i32,
    pub organisation_id: i32,
    /// Comma-separated theme codes.
    #[sea_orm(column_type = "Text")]
    pub themes: String,
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
