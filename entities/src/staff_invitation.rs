use sea_orm::entity::prelude::*;

/// An invitation to set a staff account's password (single use, 7 days).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff_invitation")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub staff_member_id: i32,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::staff_member::Entity",
        from = "Column::StaffMemberId",
        to = "super::staff_member::Column::Id"
    )]
    StaffMember,
}

impl Related<super::staff_member::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::StaffMember.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
