//! When each calendar feed last changed, for its `Last-Modified`: a feed is rebuilt from
//! many rows (sessions, registrations, places, workshops…), some without a time of their
//! own, and a row leaving it leaves no time behind; so the feed's own bytes are compared
//! with the version last served, and the time is kept when they change.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("feed_version")
                    .col(string("key").primary_key())
                    .col(string("etag"))
                    .col(timestamp_with_time_zone("changed_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("feed_version").to_owned()).await
    }
}
