//! The calls staff must make: an outbox row says whether its event must reach the person
//! (staff changed something: a place freed, a session cancelled or moved, an appointment
//! moved or cancelled); when neither e-mail nor SMS can, the person is on the calls list
//! until someone records the call (`call_made`).
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
                    .table("outbox")
                    .add_column(boolean("call_if_unreached").default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("call_made")
                    .col(pk_auto("id"))
                    .col(integer("organisation_id"))
                    .col(big_integer("outbox_id").unique_key())
                    .col(integer_null("staff_member_id"))
                    .col(timestamp_with_time_zone("called_at"))
                    .foreign_key(&mut fk(
                        "call_made",
                        "organisation_id",
                        "organisation",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk("call_made", "outbox_id", "outbox", ForeignKeyAction::Cascade))
                    .foreign_key(&mut fk(
                        "call_made",
                        "staff_member_id",
                        "staff_member",
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("call_made").to_owned()).await?;
        manager
            .alter_table(
                Table::alter()
                    .table("outbox")
                    .drop_column("call_if_unreached")
                    .to_owned(),
            )
            .await
    }
}
