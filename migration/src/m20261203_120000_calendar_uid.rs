//! A random part in the iCalendar UIDs of each organisation, so that a new database on the
//! same host never hands a calendar the UID of an older, unrelated booking. Organisations that
//! already exist keep an empty part: their bookings' UIDs stay what calendars already hold.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("organisation")
                    .add_column(string("calendar_uid_part").default(""))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("organisation")
                    .drop_column("calendar_uid_part")
                    .to_owned(),
            )
            .await
    }
}
