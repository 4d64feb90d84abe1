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
                    .table("organisation")
                    .col(pk_auto("id"))
                    .col(string_uniq("slug"))
                    .col(string("name"))
                    .col(string("timezone"))
                    .col(string("contact_email"))
                    .col(string_null("contact_phone"))
                    // Minutes before the start, comma separated: "2880,180" is 48 h and 3 h.
                    .col(string("reminder_offsets").default("2880,180"))
                    .col(integer("max_future_appointments").default(2))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("place")
                    .col(pk_auto("id"))
                    .col(integer("organisation_id"))
                    .col(string("name"))
                    .col(string("kind"))
                    .col(string("address"))
                    .col(string("postal_code"))
                    .col(string("city"))
                    .col(string_null("public_phone"))
                    .col(text_null("equipment"))
                    .col(text_null("access_notes"))
                    .col(integer("desks").default(1))
                    .col(boolean("close_on_public_holidays").default(true))
                    .col(boolean("active").default(true))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "place",
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
                    .table("staff_member")
                    .col(pk_auto("id"))
                    .col(integer("organisation_id"))
                    .col(string_uniq("email"))
                    .col(string("name"))
                    .col(string("role"))
                    .col(string("password_hash"))
                    .col(boolean("active").default(true))
                    .col(integer("failed_logins").default(0))
                    .col(timestamp_with_time_zone_null("last_failed_login_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "staff_member",
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
                    .table("staff_token")
                    .col(pk_auto("id"))
                    .col(integer("staff_member_id"))
                    .col(string_uniq("token_hash"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk(
                        "staff_token",
                        "staff_member_id",
                        "staff_member",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, "place", &["organisation_id"], false).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["staff_token", "staff_member", "place", "organisation"] {
            manager.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
