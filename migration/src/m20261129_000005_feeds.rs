use sea_orm_migration::{prelude::*, schema::*};

use crate::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("feed_token")
                    .col(pk_auto("id"))
                    .col(integer("organisation_id"))
                    // "place" or "staff"
                    .col(string("kind"))
                    .col(integer_null("place_id"))
                    .col(integer_null("staff_member_id"))
                    .col(string_uniq("token_hash"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk(
                        "feed_token",
                        "organisation_id",
                        "organisation",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk("feed_token", "place_id", "place", ForeignKeyAction::Cascade))
                    .foreign_key(&mut fk(
                        "feed_token",
                        "staff_member_id",
                        "staff_member",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("feed_token").to_owned()).await
    }
}
