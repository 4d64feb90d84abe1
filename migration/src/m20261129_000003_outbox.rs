use sea_orm_migration::{prelude::*, schema::*};

use crate::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("outbox")
                    .col(big_pk_auto("id"))
                    .col(integer("organisation_id"))
                    .col(string("kind"))
                    .col(string_null("booking_kind"))
                    .col(integer_null("booking_id"))
                    .col(string("recipient_name"))
                    .col(string_null("recipient_email"))
                    .col(text("payload"))
                    .col(string_null("ical_uid"))
                    .col(integer_null("ical_sequence"))
                    .col(string_null("ical_method"))
                    .col(timestamp_with_time_zone("not_before"))
                    .col(timestamp_with_time_zone_null("expires_at"))
                    .col(string("status"))
                    .col(integer("attempts").default(0))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .col(string_null("locked_by"))
                    .col(text_null("last_error"))
                    .col(string("message_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .foreign_key(&mut fk(
                        "outbox",
                        "organisation_id",
                        "organisation",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, "outbox", &["status", "not_before"], false).await?;
        index(manager, "outbox", &["booking_kind", "booking_id"], false).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("outbox").to_owned()).await
    }
}
