//! SMS as a second channel of the outbox: each row says which channel it goes by; an SMS row
//! carries the number and a per-message secret for delivery reports. Bookings record whether
//! the person accepted SMS; organisations may set the sender name their texts show.
use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        let add = |table: &'static str, col: ColumnDef| Table::alter().table(table).add_column(col).to_owned();
        manager
            .alter_table(add("outbox", string("channel").default("email").to_owned()))
            .await?;
        manager
            .alter_table(add("outbox", string_null("recipient_phone").to_owned()))
            .await?;
        manager
            .alter_table(add("outbox", string_null("sms_secret").to_owned()))
            .await?;
        manager
            .alter_table(add("outbox", timestamp_with_time_zone_null("reported_at").to_owned()))
            .await?;
        manager
            .alter_table(add("registration", boolean("sms_consent").default(false).to_owned()))
            .await?;
        manager
            .alter_table(add("appointment", boolean("sms_consent").default(false).to_owned()))
            .await?;
        manager
            .alter_table(add("organisation", string_null("sms_sender").to_owned()))
            .await?;
        index(manager, "outbox", &["booking_kind", "booking_id", "channel"], false).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_outbox_booking_kind_booking_id_channel")
                    .table("outbox")
                    .to_owned(),
            )
            .await?;
        for (table, col) in [
            ("outbox", "channel"),
            ("outbox", "recipient_phone"),
            ("outbox", "sms_secret"),
            ("outbox", "reported_at"),
            ("registration", "sms_consent"),
            ("appointment", "sms_consent"),
            ("organisation", "sms_sender"),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(col).to_owned())
                .await?;
        }
        Ok(())
    }
}
