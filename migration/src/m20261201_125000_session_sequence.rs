//! A session's `SEQUENCE` in the calendar feeds: it grows when its time or place changes (or it
//! is cancelled), so that subscribed calendars replace the event they hold.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("session")
                    .add_column(integer("ical_sequence").default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("session").drop_column("ical_sequence").to_owned())
            .await
    }
}
