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
                    .table("workshop")
                    .col(pk_auto("id"))
                    .col(integer("organisation_id"))
                    .col(string("title"))
                    .col(text("summary"))
                    .col(text("description"))
                    .col(string("level"))
                    .col(string("audience"))
                    .col(integer("default_duration_minutes"))
                    .col(integer("default_capacity"))
                    .col(boolean("active").default(true))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "workshop",
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
                    .table("session")
                    .col(pk_auto("id"))
                    .col(integer("organisation_id"))
                    .col(integer("workshop_id"))
                    .col(integer("place_id"))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .col(integer("capacity"))
                    .col(integer("seats_taken").default(0))
                    .col(integer_null("facilitator_id"))
                    .col(string("status"))
                    .col(timestamp_with_time_zone("registration_closes_at"))
                    .col(string_null("series_key"))
                    .col(text_null("cancel_reason"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk(
                        "session",
                        "organisation_id",
                        "organisation",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "session",
                        "workshop_id",
                        "workshop",
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk("session", "place_id", "place", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk(
                        "session",
                        "facilitator_id",
                        "staff_member",
                        ForeignKeyAction::SetNull,
                    ))
                    .check(Expr::cust("seats_taken >= 0 AND seats_taken <= capacity"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("registration")
                    .col(pk_auto("id"))
                    .col(integer("session_id"))
                    .col(string("name"))
                    .col(string_null("email"))
                    .col(string_null("phone"))
                    // Normalised forms used for "one registration per person and session".
                    .col(string_null("email_key"))
                    .col(string_null("phone_key"))
                    .col(string("status"))
                    .col(string("attendance").default("unknown"))
                    .col(string("booked_by"))
                    .col(integer_null("booked_by_staff_id"))
                    .col(string_uniq("manage_token_hash"))
                    .col(integer("ical_sequence").default(0))
                    .col(timestamp_with_time_zone_null("consent_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("cancelled_at"))
                    .foreign_key(&mut fk(
                        "registration",
                        "session_id",
                        "session",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "registration",
                        "booked_by_staff_id",
                        "staff_member",
                        ForeignKeyAction::SetNull,
                    ))
                    .check(Expr::cust("email IS NOT NULL OR phone IS NOT NULL"))
                    .to_owned(),
            )
            .await?;
        index(manager, "session", &["starts_at"], false).await?;
        index(manager, "registration", &["session_id", "status"], false).await?;
        // Partial unique indexes (same syntax on SQLite and PostgreSQL): a cancelled
        // registration must not stop the same person from registering again.
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_registration_session_email ON registration (session_id, email_key) \
             WHERE status <> 'cancelled' AND email_key IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_registration_session_phone ON registration (session_id, phone_key) \
             WHERE status <> 'cancelled' AND phone_key IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["registration", "session", "workshop"] {
            manager.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
