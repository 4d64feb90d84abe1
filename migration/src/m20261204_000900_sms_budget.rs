//! A monthly budget of SMS segments per organisation (unset: no limit) and the counter of the
//! segments each organisation handed to its gateway per month of its zone, which the worker
//! reserves in one conditional update before each send.
use sea_orm_migration::{prelude::*, schema::*};

use crate::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("organisation")
                    .add_column(integer_null("sms_monthly_budget"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("sms_usage")
                    .col(integer("organisation_id"))
                    .col(string_len("month", 7))
                    .col(integer("segments").default(0))
                    .primary_key(Index::create().col("organisation_id").col("month"))
                    .foreign_key(&mut fk(
                        "sms_usage",
                        "organisation_id",
                        "organisation",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("sms_usage").to_owned()).await?;
        manager
            .alter_table(
                Table::alter()
                    .table("organisation")
                    .drop_column("sms_monthly_budget")
                    .to_owned(),
            )
            .await
    }
}
