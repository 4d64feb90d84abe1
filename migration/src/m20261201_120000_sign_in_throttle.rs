use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Sign-in throttling buckets, one per account and one per account and client address.
/// `key` is a hash (no e-mail stored); `tat_ms` is the bucket's theoretical arrival time in
/// milliseconds since 1970 (GCRA), so one conditional UPDATE takes a try atomically.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("sign_in_throttle")
                    .col(string("key").primary_key())
                    .col(big_integer("tat_ms"))
                    .to_owned(),
            )
            .await?;
        index(manager, "sign_in_throttle", &["tat_ms"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("sign_in_throttle").to_owned())
            .await
    }
}
