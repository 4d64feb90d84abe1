//! The satisfaction survey: invitations (a hashed single-use token and what the answer will
//! be filed under), the hashes of tokens already used, answers (filed under organisation, place, workshop or reason and month
//! only: nothing ties one to a booking or a person), a non-personal count of invitations
//! sent, and per person (a keyed hash of the e-mail or phone) when they were last invited
//! and whether they refused surveys.
use sea_orm_migration::{prelude::*, schema::*};

use crate::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns every survey table files its rows under.
fn filed_under(table: &'static str, t: &mut TableCreateStatement) {
    t.col(integer("organisation_id"))
        .col(integer("place_id"))
        .col(integer_null("workshop_id"))
        .col(integer_null("motif_id"))
        // "YYYY-MM" in the organisation's zone: the month of the workshop or appointment.
        .col(string_len("month", 7))
        .foreign_key(&mut fk(
            table,
            "organisation_id",
            "organisation",
            ForeignKeyAction::Cascade,
        ))
        .foreign_key(&mut fk(table, "place_id", "place", ForeignKeyAction::Cascade))
        .foreign_key(&mut fk(table, "workshop_id", "workshop", ForeignKeyAction::Cascade))
        .foreign_key(&mut fk(table, "motif_id", "motif", ForeignKeyAction::Cascade));
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Random text ids and an expiry rounded to the day: neither lines an invitation up
        // with the outbox row (and so the booking) it was sent with.
        let mut t = Table::create();
        t.table("survey_invitation")
            .col(string("id").primary_key())
            .col(string_uniq("token_hash"))
            .col(timestamp_with_time_zone("expires_at"));
        filed_under("survey_invitation", &mut t);
        manager.create_table(t).await?;
        // The tokens already answered, so a second use is told apart from a wrong link;
        // the invitation itself is deleted.
        manager
            .create_table(
                Table::create()
                    .table("survey_used_token")
                    .col(string("token_hash").primary_key())
                    .to_owned(),
            )
            .await?;

        let mut t = Table::create();
        // A random text id, not a sequence: the order of answers says nothing either.
        t.table("survey_answer")
            .col(string("id").primary_key())
            .col(string("smiley"))
            .col(integer_null("clarity"))
            .col(string_null("help_used"))
            .col(boolean_null("reached_administration"))
            .col(integer_null("help_quality"))
            .col(text_null("comment"));
        filed_under("survey_answer", &mut t);
        manager.create_table(t).await?;
        index(manager, "survey_answer", &["organisation_id", "month"], false).await?;

        let mut t = Table::create();
        t.table("survey_sent").col(pk_auto("id")).col(integer("sent"));
        filed_under("survey_sent", &mut t);
        manager.create_table(t).await?;
        index(manager, "survey_sent", &["organisation_id", "month"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("survey_contact")
                    .col(pk_auto("id"))
                    .col(integer("organisation_id"))
                    .col(string("key_hash"))
                    .col(timestamp_with_time_zone_null("last_invited_at"))
                    .col(timestamp_with_time_zone_null("refused_at"))
                    .col(string_null("stop_hash"))
                    .foreign_key(&mut fk(
                        "survey_contact",
                        "organisation_id",
                        "organisation",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, "survey_contact", &["organisation_id", "key_hash"], true).await?;
        index(manager, "survey_contact", &["stop_hash"], false).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "survey_contact",
            "survey_sent",
            "survey_answer",
            "survey_used_token",
            "survey_invitation",
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
