//! Exports and retention: every export is logged (who, what, which filters, how many rows,
//! when); bookings remember when their personal data was erased; `job_run` holds one row per
//! daily job so that several instances run it at most once a day between them.
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
                    .table("export_log")
                    .col(pk_auto("id"))
                    .col(integer("organisation_id"))
                    .col(integer("staff_member_id"))
                    .col(string("what"))
                    .col(string("format"))
                    .col(text("filters"))
                    .col(big_integer_null("rows"))
                    .col(timestamp_with_time_zone("at"))
                    .foreign_key(&mut fk(
                        "export_log",
                        "organisation_id",
                        "organisation",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "export_log",
                        "staff_member_id",
                        "staff_member",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, "export_log", &["organisation_id", "at"], false).await?;
        manager
            .create_table(
                Table::create()
                    .table("job_run")
                    .col(string("name").primary_key())
                    .col(timestamp_with_time_zone_null("last_run_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("job_run")
                    .columns(["name"])
                    .values_panic(["retention".into()])
                    .to_owned(),
            )
            .await?;
        // SQLite takes one column per ALTER TABLE.
        for table in ["registration", "appointment"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(timestamp_with_time_zone_null("erased_at"))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["appointment", "registration"] {
            manager
                .alter_table(Table::alter().table(table).drop_column("erased_at").to_owned())
                .await?;
        }
        manager.drop_table(Table::drop().table("job_run").to_owned()).await?;
        manager.drop_table(Table::drop().table("export_log").to_owned()).await
    }
}
