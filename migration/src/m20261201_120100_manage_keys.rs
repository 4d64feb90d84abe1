//! Manage links derived from the server secret: a booking keeps a random key, its link's token
//! is `HMAC(secret, key)` and only the token's hash is stored, so the database alone never
//! gives a working link while the outbox worker can rebuild it at send time. Bookings made
//! before have no key: their links (hashes) keep working, and new messages about them carry
//! no link (they point to the first e-mail).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["registration", "appointment"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(string_null("manage_key"))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["registration", "appointment"] {
            manager
                .alter_table(Table::alter().table(table).drop_column("manage_key").to_owned())
                .await?;
        }
        Ok(())
    }
}
