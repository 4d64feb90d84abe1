//! The beneficiary's commune of residence is stored with its INSEE code, as the activity
//! record of the reference asks (name, postal code, INSEE code). Records completed before
//! keep their name and postal code and have no INSEE code.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("activity_record")
                    .add_column(string_len_null("commune_insee", 5))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("activity_record")
                    .drop_column("commune_insee")
                    .to_owned(),
            )
            .await
    }
}
