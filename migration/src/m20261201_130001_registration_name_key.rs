//! Households: one registration per person and session, a person being a name *and* a
//! contact. Two people sharing a phone or an e-mail address may both register.
use sea_orm_migration::{
    prelude::*,
    sea_orm::{ConnectionTrait, Statement},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("registration")
                    .add_column(ColumnDef::new("name_key").string().not_null().default(""))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let rows = db
            .query_all_raw(Statement::from_string(backend, "SELECT id, name FROM registration"))
            .await?;
        for row in rows {
            let id: i32 = row.try_get("", "id")?;
            let name: String = row.try_get("", "name")?;
            manager
                .exec_stmt(
                    Query::update()
                        .table("registration")
                        .value("name_key", name_key(&name))
                        .and_where(Expr::col("id").eq(id))
                        .to_owned(),
                )
                .await?;
        }
        for contact in ["email", "phone"] {
            db.execute_unprepared(&format!("DROP INDEX ux_registration_session_{contact}"))
                .await?;
            db.execute_unprepared(&format!(
                "CREATE UNIQUE INDEX ux_registration_session_name_{contact} \
                 ON registration (session_id, name_key, {contact}_key) \
                 WHERE status <> 'cancelled' AND {contact}_key IS NOT NULL"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for contact in ["email", "phone"] {
            db.execute_unprepared(&format!("DROP INDEX ux_registration_session_name_{contact}"))
                .await?;
            db.execute_unprepared(&format!(
                "CREATE UNIQUE INDEX ux_registration_session_{contact} ON registration (session_id, {contact}_key) \
                 WHERE status <> 'cancelled' AND {contact}_key IS NOT NULL"
            ))
            .await?;
        }
        manager
            .alter_table(Table::alter().table("registration").drop_column("name_key").to_owned())
            .await
    }
}

/// A frozen copy of `creneau::domain::contact::name_key` as it was when this migration was
/// written: a migration must give the same result whatever the application becomes.
fn name_key(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut gap = false;
    for c in name.chars().flat_map(char::to_lowercase) {
        let folded: &str = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
            'æ' => "ae",
            'ç' => "c",
            'è' | 'é' | 'ê' | 'ë' => "e",
            'ì' | 'í' | 'î' | 'ï' => "i",
            'ñ' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => "o",
            'œ' => "oe",
            'ù' | 'ú' | 'û' | 'ü' => "u",
            'ý' | 'ÿ' => "y",
            'ß' => "ss",
            c if c.is_alphanumeric() => {
                if gap && !out.is_empty() {
                    out.push(' ');
                }
                gap = false;
                out.push(c);
                continue;
            }
            _ => {
                gap = true;
                continue;
            }
        };
        if gap && !out.is_empty() {
            out.push(' ');
        }
        gap = false;
        out.push_str(folded);
    }
    out
}
