use sea_orm::entity::prelude::*;

/// A call a staff member made to tell a person what e-mail and SMS could not (see the
/// outbox's `call_if_unreached`): the message is off the calls list.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "call_made")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub organisation_id: i32,
    /// The e-mail row of the message the call replaced.
    #[sea_orm(unique)]
    pub outbox_id: i64,
    pub staff_member_id: Option<i32>,
    pub called_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::outbox::Entity",
        from = "Column::OutboxId",
        to = "super::outbox::Column::Id"
    )]
    Outbox,
}

impl Related<super::outbox::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Outbox.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
