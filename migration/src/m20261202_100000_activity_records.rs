//! Activity records (comptes rendus d'activité): one per honoured appointment or per session
//! whose attendance was taken, pre-filled as a draft; and the themes staff give each reason
//! and workshop, which the drafts are pre-filled with.
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
                    .table("theme_mapping")
                    .col(string("target_kind"))
                    .col(integer("target_id"))
                    .col(integer("organisation_id"))
                    .col(text("themes"))
                    .primary_key(Index::create().col("target_kind").col("target_id"))
                    .foreign_key(&mut fk(
                        "theme_mapping",
                        "organisation_id",
                        "organisation",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("activity_record")
                    .col(pk_auto("id"))
                    .col(integer("organisation_id"))
                    .col(integer("place_id"))
                    .col(string("kind"))
                    .col(integer_null("appointment_id"))
                    .col(integer_null("session_id"))
                    .col(date("date"))
                    .col(integer("duration_minutes"))
                    .col(text("themes"))
                    .col(text("materiel"))
                    .col(string_null("type_lieu"))
                    .col(string_null("autonomie"))
                    .col(boolean_null("oriente"))
                    .col(string_null("structure"))
                    .col(text_null("precisions"))
                    .col(string_null("titre_atelier"))
                    .col(string_null("niveau"))
                    .col(integer("participants"))
                    .col(text_null("notes"))
                    .col(string_null("genre"))
                    .col(string_null("tranche_age"))
                    .col(string_null("statut_social"))
                    .col(string_null("commune"))
                    .col(string_null("commune_postal_code"))
                    .col(boolean_null("first_time"))
                    .col(string("status"))
                    .col(integer_null("completed_by_staff_id"))
                    .col(timestamp_with_time_zone_null("completed_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk(
                        "activity_record",
                        "organisation_id",
                        "organisation",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "activity_record",
                        "place_id",
                        "place",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "activity_record",
                        "appointment_id",
                        "appointment",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "activity_record",
                        "session_id",
                        "session",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "activity_record",
                        "completed_by_staff_id",
                        "staff_member",
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        crate::index(manager, "activity_record", &["appointment_id"], true).await?;
        crate::index(manager, "activity_record", &["session_id"], true).await?;
        crate::index(
            manager,
            "activity_record",
            &["organisation_id", "status", "date"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("activity_record").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("theme_mapping").to_owned())
            .await
    }
}
