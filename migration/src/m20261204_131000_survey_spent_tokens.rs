//! A survey link past its 14 days is deleted by the daily retention step; its token's hash
//! joins those already answered, marked as not answered, so that the link still says "closed"
//! rather than "not valid".
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("survey_used_token")
                    .add_column(boolean("answered").default(true))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("survey_used_token")
                    .drop_column("answered")
                    .to_owned(),
            )
            .await
    }
}
