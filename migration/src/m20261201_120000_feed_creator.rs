//! Feeds remember who made them and when they were last read, so that they die with their
//! creator's account and the console can show which ones are still in use. Feeds made before
//! this migration have no known creator: they keep working and are listed as such, for a
//! coordinator to revoke. No foreign key: SQLite cannot add one to an existing table (staff
//! accounts are deactivated, never deleted).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table("feed_token")
                    .add_column(integer_null("created_by_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("feed_token")
                    .add_column(timestamp_with_time_zone_null("last_used_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in ["last_used_at", "created_by_id"] {
            manager
                .alter_table(Table::alter().table("feed_token").drop_column(col).to_owned())
                .await?;
        }
        Ok(())
    }
}
