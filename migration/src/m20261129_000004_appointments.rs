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
                    .table("motif")
                    .col(pk_auto("id"))
                    .col(integer("organisation_id"))
                    .col(string("label"))
                    .col(integer("duration_minutes"))
                    .col(boolean("bookable_online").default(true))
                    .col(integer("min_notice_minutes").default(120))
                    .col(integer("horizon_days").default(60))
                    .col(text("instructions"))
                    .col(integer("position").default(0))
                    .col(boolean("active").default(true))
                    .foreign_key(&mut fk(
                        "motif",
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
                    .table("place_motif")
                    .col(integer("place_id"))
                    .col(integer("motif_id"))
                    .primary_key(Index::create().col("place_id").col("motif_id"))
                    .foreign_key(&mut fk("place_motif", "place_id", "place", ForeignKeyAction::Cascade))
                    .foreign_key(&mut fk("place_motif", "motif_id", "motif", ForeignKeyAction::Cascade))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("opening_rule")
                    .col(pk_auto("id"))
                    .col(integer("place_id"))
                    // 1 = Monday … 7 = Sunday (ISO 8601).
                    .col(integer("weekday"))
                    .col(time("start_time"))
                    .col(time("end_time"))
                    // "1,3" = first and third such weekday of the month; NULL = every week.
                    .col(string_null("weeks_of_month"))
                    .col(date_null("valid_from"))
                    .col(date_null("valid_to"))
                    .foreign_key(&mut fk("opening_rule", "place_id", "place", ForeignKeyAction::Cascade))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("extra_opening")
                    .col(pk_auto("id"))
                    .col(integer("place_id"))
                    .col(date("date"))
                    .col(time("start_time"))
                    .col(time("end_time"))
                    .col(string_null("note"))
                    .foreign_key(&mut fk("extra_opening", "place_id", "place", ForeignKeyAction::Cascade))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("closure")
                    .col(pk_auto("id"))
                    .col(integer("place_id"))
                    // NULL = the whole place; a number = one desk (an agent's absence).
                    .col(integer_null("desk"))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .col(string("reason"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("closure", "place_id", "place", ForeignKeyAction::Cascade))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("appointment")
                    .col(pk_auto("id"))
                    .col(integer("organisation_id"))
                    .col(integer("place_id"))
                    .col(integer("motif_id"))
                    .col(integer("desk"))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .col(string("name"))
                    .col(string_null("email"))
                    .col(string_null("phone"))
                    .col(string_null("email_key"))
                    .col(string_null("phone_key"))
                    .col(text_null("note"))
                    .col(text_null("accessibility_needs"))
                    .col(string("status"))
                    .col(string("booked_by"))
                    .col(integer_null("booked_by_staff_id"))
                    .col(string_uniq("manage_token_hash"))
                    .col(integer("ical_sequence").default(0))
                    .col(text_null("cancel_reason"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("cancelled_at"))
                    .foreign_key(&mut fk(
                        "appointment",
                        "organisation_id",
                        "organisation",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk("appointment", "place_id", "place", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk("appointment", "motif_id", "motif", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk(
                        "appointment",
                        "booked_by_staff_id",
                        "staff_member",
                        ForeignKeyAction::SetNull,
                    ))
                    .check(Expr::cust("email IS NOT NULL OR phone IS NOT NULL"))
                    .to_owned(),
            )
            .await?;
        // One row per desk and 15-minute cell an appointment occupies. The unique index is
        // what makes a double booking impossible on both databases, whatever the races:
        // two appointments overlapping on one desk would need the same (place, desk, cell).
        manager
            .create_table(
                Table::create()
                    .table("appointment_claim")
                    .col(big_pk_auto("id"))
                    .col(integer("appointment_id"))
                    .col(integer("place_id"))
                    .col(integer("desk"))
                    .col(timestamp_with_time_zone("cell_start"))
                    .foreign_key(&mut fk(
                        "appointment_claim",
                        "appointment_id",
                        "appointment",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, "appointment_claim", &["place_id", "desk", "cell_start"], true).await?;
        index(manager, "appointment_claim", &["appointment_id"], false).await?;
        index(manager, "appointment", &["place_id", "starts_at"], false).await?;
        index(manager, "appointment", &["email_key"], false).await?;
        index(manager, "appointment", &["phone_key"], false).await?;
        index(manager, "closure", &["place_id", "starts_at"], false).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "appointment_claim",
            "appointment",
            "closure",
            "extra_opening",
            "opening_rule",
            "place_motif",
            "motif",
        ] {
            manager.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
