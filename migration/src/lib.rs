//! Schema migrations, run at every start (`creneau serve`, `creneau demo`) and by the tests.
//! Written with sea-query's builder so that one migration serves SQLite and PostgreSQL.
pub use sea_orm_migration::prelude::*;

mod m20261129_000001_organisations_and_staff;
mod m20261129_000002_workshops;
mod m20261129_000003_outbox;
mod m20261129_000004_appointments;
mod m20261129_000005_feeds;
mod m20261201_000001_sms_channel;
mod m20261201_120000_feed_creator;
mod m20261201_120000_sign_in_throttle;
mod m20261201_120100_manage_keys;
mod m20261201_125000_session_sequence;
mod m20261201_130001_registration_name_key;
mod m20261201_130002_booking_codes;
mod m20261202_090000_sms_replies;
mod m20261202_091000_calls;
mod m20261202_100000_activity_records;
mod m20261202_110000_survey;
mod m20261202_120000_exports_and_retention;
mod m20261202_130000_statistics;
mod m20261203_100000_session_desks;
mod m20261203_110000_staff_invitations;
mod m20261203_120000_calendar_uid;
mod m20261204_000900_sms_budget;
mod m20261204_131000_survey_spent_tokens;
mod m20261204_132000_commune_insee;
mod m20261204_150000_feed_version;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_organisations_and_staff::Migration),
            Box::new(m20261129_000002_workshops::Migration),
            Box::new(m20261129_000003_outbox::Migration),
            Box::new(m20261129_000004_appointments::Migration),
            Box::new(m20261129_000005_feeds::Migration),
            Box::new(m20261201_000001_sms_channel::Migration),
            Box::new(m20261201_120000_feed_creator::Migration),
            Box::new(m20261201_120000_sign_in_throttle::Migration),
            Box::new(m20261201_120100_manage_keys::Migration),
            Box::new(m20261201_125000_session_sequence::Migration),
            Box::new(m20261201_130001_registration_name_key::Migration),
            Box::new(m20261201_130002_booking_codes::Migration),
            Box::new(m20261202_090000_sms_replies::Migration),
            Box::new(m20261202_091000_calls::Migration),
            Box::new(m20261202_100000_activity_records::Migration),
            Box::new(m20261202_110000_survey::Migration),
            Box::new(m20261202_120000_exports_and_retention::Migration),
            Box::new(m20261202_130000_statistics::Migration),
            Box::new(m20261203_100000_session_desks::Migration),
            Box::new(m20261203_110000_staff_invitations::Migration),
            Box::new(m20261203_120000_calendar_uid::Migration),
            Box::new(m20261204_000900_sms_budget::Migration),
            Box::new(m20261204_131000_survey_spent_tokens::Migration),
            Box::new(m20261204_132000_commune_insee::Migration),
            Box::new(m20261204_150000_feed_version::Migration),
        ]
    }
}

/// A foreign key declared inside `create_table`: SQLite cannot add one later.
pub(crate) fn fk(
    from_table: &'static str,
    from_col: &'static str,
    to_table: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_col}"))
        .from(from_table, from_col)
        .to(to_table, "id")
        .on_delete(on_delete)
        .to_owned()
}

pub(crate) async fn index(
    manager: &SchemaManager<'_>,
    table: &'static str,
    columns: &[&'static str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut stmt = Index::create();
    stmt.name(format!("ix_{table}_{}", columns.join("_"))).table(table);
    for c in columns {
        stmt.col(*c);
    }
    if unique {
        stmt.unique();
    }
    manager.create_index(stmt).await
}
