//! What residents text back. "STOP" opts a number out of an organisation's SMS for good
//! (`sms_opt_out`); any other text is kept for staff to read (`sms_reply`), since the person
//! may be answering a reminder.
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
                    .table("sms_opt_out")
                    .col(pk_auto("id"))
                    .col(integer("organisation_id"))
                    .col(string("phone"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "sms_opt_out",
                        "organisation_id",
                        "organisation",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, "sms_opt_out", &["organisation_id", "phone"], true).await?;
        manager
            .create_table(
                Table::create()
                    .table("sms_reply")
                    .col(pk_auto("id"))
                    .col(integer("organisation_id"))
                    .col(string("phone"))
                    .col(text("body"))
                    .col(timestamp_with_time_zone("received_at"))
                    .col(timestamp_with_time_zone_null("read_at"))
                    .col(integer_null("read_by_staff_id"))
                    .foreign_key(&mut fk(
                        "sms_reply",
                        "organisation_id",
                        "organisation",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "sms_reply",
                        "read_by_staff_id",
                        "staff_member",
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, "sms_reply", &["organisation_id", "received_at"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("sms_reply").to_owned()).await?;
        manager.drop_table(Table::drop().table("sms_opt_out").to_owned()).await
    }
}
