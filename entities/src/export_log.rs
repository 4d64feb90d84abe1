use sea_orm::entity::prelude::*;

/// One export made by a staff member: who, what, with which filters, how many rows, when.
/// Nothing personal: `filters` holds ids and dates only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "export_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub organisation_id: i32,
    pub staff_member_id: i32,
    /// What was exported (`registrants`, `appointments`…).
    pub what: String,
    /// `csv` or `xlsx`.
    pub format: String,
    #[sea_orm(column_type = "Text")]
    pub filters: String,
    /// Rows written, once the file is complete (`None`: the download did not finish).
    pub rows: Option<i64>,
    pub at: DateTimeUtc,
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
