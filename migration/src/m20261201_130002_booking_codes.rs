//! Booking codes: a six-character code per registration and appointment, unique within an
//! organisation across both kinds (the `booking_code` table is the claim), back-filled for
//! the bookings that exist.
use sea_orm_migration::{
    prelude::*,
    schema::*,
    sea_orm::{ConnectionTrait, Statement},
};

use crate::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The alphabet of `creneau::domain::booking_code` (frozen copy).
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
const SPACE: u64 = 31 * 31 * 31 * 31 * 31 * 31;

/// Spreads a sequence number over the code space: `n ↦ n·A + B mod 31⁶` is a bijection since
/// A is prime to 31, so distinct numbers give distinct codes.
fn spread(n: u64) -> String {
    const A: u64 = 387_420_489; // 3^18, prime to 31
    const B: u64 = 123_456_789;
    let mut v = (n.wrapping_mul(A) + B) % SPACE;
    let mut out = [0u8; 6];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(v % 31) as usize];
        v /= 31;
    }
    String::from_utf8(out.to_vec()).expect("ASCII")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("booking_code")
                    .col(integer("organisation_id"))
                    .col(string("code"))
                    .col(string("booking_kind"))
                    .col(integer("booking_id"))
                    .primary_key(Index::create().col("organisation_id").col("code"))
                    .foreign_key(&mut fk(
                        "booking_code",
                        "organisation_id",
                        "organisation",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        crate::index(manager, "booking_code", &["booking_kind", "booking_id"], true).await?;
        crate::index(manager, "booking_code", &["code"], false).await?;
        for table in ["registration", "appointment"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(ColumnDef::new("booking_code").string().not_null().default(""))
                        .to_owned(),
                )
                .await?;
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(ColumnDef::new("found_token_hash").string().null())
                        .to_owned(),
                )
                .await?;
            crate::index(manager, table, &["found_token_hash"], true).await?;
        }

        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let existing = [
            (
                "registration",
                "SELECT r.id AS id, s.organisation_id AS organisation_id FROM registration r \
                 JOIN session s ON s.id = r.session_id",
                0u64,
            ),
            ("appointment", "SELECT id, organisation_id FROM appointment", 1u64),
        ];
        for (table, select, parity) in existing {
            for row in db.query_all_raw(Statement::from_string(backend, select)).await? {
                let id: i32 = row.try_get("", "id")?;
                let organisation_id: i32 = row.try_get("", "organisation_id")?;
                // Registrations take the even numbers, appointments the odd ones.
                let code = spread(2 * id as u64 + parity);
                manager
                    .exec_stmt(
                        Query::insert()
                            .into_table("booking_code")
                            .columns(["organisation_id", "code", "booking_kind", "booking_id"])
                            .values_panic([organisation_id.into(), code.clone().into(), table.into(), id.into()])
                            .to_owned(),
                    )
                    .await?;
                manager
                    .exec_stmt(
                        Query::update()
                            .table(table)
                            .value("booking_code", code)
                            .and_where(Expr::col("id").eq(id))
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["registration", "appointment"] {
            manager
                .get_connection()
                .execute_unprepared(&format!("DROP INDEX ix_{table}_found_token_hash"))
                .await?;
            for col in ["booking_code", "found_token_hash"] {
                manager
                    .alter_table(Table::alter().table(table).drop_column(col).to_owned())
                    .await?;
            }
        }
        manager.drop_table(Table::drop().table("booking_code").to_owned()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_filled_codes_are_distinct_and_in_the_alphabet() {
        let codes: std::collections::HashSet<_> = (0..20_000).map(spread).collect();
        assert_eq!(codes.len(), 20_000);
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 6 && c.bytes().all(|b| ALPHABET.contains(&b)))
        );
    }
}
