//! Statistics: when a registration was given a seat from the waiting list (so "promoted" and
//! "came" can be counted), and the indexes the period queries of `creneau::statistics` read.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("registration")
                    .add_column(timestamp_with_time_zone_null("promoted_at"))
                    .to_owned(),
            )
            .await?;
        // Promotions made before this column existed are known from the message that told the
        // person (the outbox keeps every row): the first one is the promotion's time.
        let first_message = Query::select()
            .expr(Expr::col(("outbox", "created_at")).min())
            .from("outbox")
            .and_where(Expr::col(("outbox", "booking_kind")).eq("registration"))
            .and_where(Expr::col(("outbox", "kind")).eq("registration_promoted"))
            .and_where(Expr::col(("outbox", "booking_id")).equals(("registration", "id")))
            .to_owned();
        manager
            .exec_stmt(
                Query::update()
                    .table("registration")
                    .value("promoted_at", first_message.clone())
                    .and_where(Expr::exists(first_message))
                    .to_owned(),
            )
            .await?;
        crate::index(manager, "session", &["organisation_id", "starts_at"], false).await?;
        crate::index(manager, "appointment", &["organisation_id", "starts_at"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["session", "appointment"] {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("ix_{table}_organisation_id_starts_at"))
                        .table(table)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("registration")
                    .drop_column("promoted_at")
                    .to_owned(),
            )
            .await
    }
}
