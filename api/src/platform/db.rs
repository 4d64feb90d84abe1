//! Opening the database and starting write transactions the same way on SQLite and PostgreSQL.
use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, LazyLock},
    time::Duration,
};

use tokio::sync::{Mutex, OwnedMutexGuard};

use migration::MigratorTrait;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

/// Connects and runs the migrations.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url);
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    if url.starts_with("sqlite:") {
        // WAL lets readers run beside the one writer; busy_timeout makes writers queue
        // instead of failing; FULL syncs each commit, so a confirmed booking survives a
        // power cut, not only a crash.
        options.max_connections(8).min_connections(1).map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
        });
    } else {
        options.max_connections(16).min_connections(1);
    }
    let db = Database::connect(options).await?;
    migration::Migrator::up(&db, None).await?;
    Ok(db)
}

/// Begins a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`: the write lock
/// is taken at once, so a read that decides a write cannot be invalidated by another writer
/// and no lock upgrade can deadlock. On PostgreSQL the conditional updates and unique
/// indexes inside the transaction do that work.
///
/// SQLite has one writer at a time. Left to its busy handler, waiting writers poll with
/// growing sleeps and a late one can lose every round (a p99 of seconds under 16 writers);
/// so the writers of this process first take their turn in a first-come, first-served
/// queue, one per database file, and only then ask SQLite for the lock.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTransaction, DbErr> {
    let sqlite = db.get_database_backend() == DbBackend::Sqlite;
    let turn = if sqlite {
        Some(writer_queue(db).lock_owned().await)
    } else {
        None
    };
    let options = TransactionOptions {
        sqlite_transaction_mode: sqlite.then_some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    let txn = db.begin_with_options(options).await?;
    Ok(WriteTransaction { txn, _turn: turn })
}

/// A write transaction holding its turn in the SQLite writers' queue until it ends. The
/// transaction is declared first so that it is dropped (rolled back) before the turn passes.
pub struct WriteTransaction {
    txn: DatabaseTransaction,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl WriteTransaction {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }
}

/// Queries run on the transaction itself.
#[sea_orm::prelude::async_trait::async_trait]
impl ConnectionTrait for WriteTransaction {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

impl std::ops::Deref for WriteTransaction {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

/// The queue of one SQLite file (tokio's mutex wakes its waiters in the order they came).
fn writer_queue(db: &DatabaseConnection) -> Arc<Mutex<()>> {
    static QUEUES: LazyLock<std::sync::Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>> = LazyLock::new(Default::default);
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    let mut queues = QUEUES.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    queues.entry(file).or_default().clone()
}

/// Whether the database answers at all (`/healthz`).
pub(crate) async fn reachable(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// True when the error is a unique-index violation: the race-free "someone was first".
pub(crate) fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sea_orm::{ConnectionTrait, Statement};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite_writers_get_the_write_lock_in_the_order_they_asked_for_it() {
        let path = std::env::temp_dir().join(format!("creneau-fifo-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let db = connect(&format!("sqlite://{}?mode=rwc", path.display())).await.unwrap();
        db.execute_unprepared("CREATE TABLE turns (n INTEGER NOT NULL, seq INTEGER PRIMARY KEY AUTOINCREMENT)")
            .await
            .unwrap();
        let holder = begin_write(&db).await.unwrap();
        let mut writers = Vec::new();
        for n in 0..12 {
            let db = db.clone();
            writers.push(tokio::spawn(async move {
                let txn = begin_write(&db).await.unwrap();
                let insert =
                    Statement::from_sql_and_values(DbBackend::Sqlite, "INSERT INTO turns (n) VALUES (?)", [n.into()]);
                txn.execute_raw(insert).await.unwrap();
                txn.commit().await.unwrap();
            }));
            // Each writer is waiting before the next one asks.
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        holder.commit().await.unwrap();
        for w in writers {
            w.await.unwrap();
        }
        let rows = db
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT n FROM turns ORDER BY seq",
            ))
            .await
            .unwrap();
        let order: Vec<i64> = rows.iter().map(|r| r.try_get::<i64>("", "n").unwrap()).collect();
        assert_eq!(order, (0..12).collect::<Vec<_>>());
        let _ = std::fs::remove_file(&path);
    }
}
