//! Exports for spreadsheets and funders: a table (a header row and rows of typed cells)
//! written as CSV ([`csv`]) or XLSX ([`xlsx`]), streamed from the database a page at a time,
//! and logged (who, what, which filters, how many rows, when: [`log`]).
//!
//! A feature adds an export in a few lines: a [`Table`] (its French column titles), a
//! [`RowStream`] (usually [`paged`] over a keyset query, turning each row into [`Cell`]s),
//! and a call to [`download`] with the staff member and the filters to log. CSV answers
//! stream end to end; XLSX rows are flushed to a temporary file as they come (constant
//! memory) and the finished file is streamed from disk (see [`xlsx`] for why it cannot start
//! earlier).
use std::future::Future;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt, stream::BoxStream};
use poem::{Body, Response, http::header};
use sea_orm::DbErr;

use crate::{auth::staff::StaffIdentity, platform::state::AppState};

pub(crate) mod api;
pub(crate) mod bookings;
pub mod csv;
pub(crate) mod log;
pub(crate) mod pages;
pub(crate) mod records;
pub(crate) mod statistics;
pub mod xlsx;

/// One cell of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Written as text: made inert in CSV when it starts like a formula, a string cell in XLSX.
    Text(String),
    /// Written as a number, never altered.
    Int(i64),
    Empty,
}

impl Cell {
    pub fn text(t: impl Into<String>) -> Cell {
        Cell::Text(t.into())
    }

    /// `None` is an empty cell.
    pub fn opt(t: Option<impl Into<String>>) -> Cell {
        t.map_or(Cell::Empty, |t| Cell::Text(t.into()))
    }
}

/// What an export is: the name logged and used for the sheet and the file, and the French
/// column titles (the header row, written even when there is no row).
#[derive(Debug, Clone, Copy)]
pub struct Table {
    /// Logged as "what" (`registrants`, `appointments`…); stable, English.
    pub what: &'static str,
    /// What it is, in French, for the console's log page.
    pub title: &'static str,
    /// The sheet's name in XLSX (French).
    pub sheet: &'static str,
    pub header: &'static [&'static str],
}

/// Every export the console knows how to name; a feature adds its [`Table`] here.
pub(crate) const TABLES: &[Table] = &[
    bookings::REGISTRANTS,
    bookings::APPOINTMENTS,
    records::RECORDS,
    statistics::STATISTICS,
];

/// The rows of an export, in order, read as they are sent.
pub type RowStream = BoxStream<'static, Result<Vec<Cell>, DbErr>>;

/// Rows read a page at a time: `fetch(key)` answers a page and the key of the next one, or
/// `None` when there is nothing more. Each page is one short query: no connection or
/// transaction is held while the client reads.
pub fn paged<K, F, Fut>(first: K, fetch: F) -> RowStream
where
    K: Send + 'static,
    F: FnMut(K) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Option<(Vec<Vec<Cell>>, K)>, DbErr>> + Send + 'static,
{
    futures_util::stream::try_unfold(first, fetch)
        .map_ok(|rows| futures_util::stream::iter(rows.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

/// The rows after `key` in the order (`column`, `id`): a keyset page's condition.
pub(crate) fn after<C: sea_orm::ColumnTrait, V: Into<sea_orm::Value> + Clone>(
    column: C,
    id: C,
    key: (V, i32),
) -> sea_orm::Condition {
    use sea_orm::Condition;
    Condition::any()
        .add(column.gt(key.0.clone()))
        .add(Condition::all().add(column.eq(key.0)).add(id.gt(key.1)))
}

/// The two file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum, serde::Deserialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// `registrants.csv` → CSV; anything else is not an export.
    pub fn from_file_name(name: &str) -> Option<Format> {
        match name.rsplit_once('.')?.1 {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

/// A file on its way: its format, its name (ASCII), its body.
pub struct Download {
    pub format: Format,
    pub filename: String,
    pub body: Body,
}

impl Download {
    /// `attachment; filename="…"`.
    pub fn disposition(&self) -> String {
        format!("attachment; filename=\"{}\"", self.filename)
    }

    pub fn into_response(self) -> Response {
        Response::builder()
            .content_type(self.format.content_type())
            .header(header::CONTENT_DISPOSITION, self.disposition())
            .header(header::CACHE_CONTROL, "no-store")
            .body(self.body)
    }
}

/// Why an export could not start.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("temporary file: {0}")]
    Io(#[from] std::io::Error),
}

impl crate::domain::refusal::DomainError for ExportError {
    fn refusal(&self) -> crate::domain::refusal::Refusal {
        crate::domain::refusal::Refusal::Unexpected
    }
    fn code(&self) -> &'static str {
        "internal"
    }
}

/// Bytes handed to the connection at a time.
const CHUNK: usize = 32 * 1024;

/// Logs the export, then answers its file. `filters` is logged as given: ids and dates only,
/// nothing personal. `file_stem` names the download (`inscrits-seance-12`).
pub async fn download(
    state: &AppState,
    me: &StaffIdentity,
    table: Table,
    format: Format,
    filters: String,
    file_stem: &str,
    rows: RowStream,
) -> Result<Download, ExportError> {
    let log_id = log::started(&state.db, me, table.what, format, &filters, state.clock.now()).await?;
    let db = state.db.clone();
    let body = match format {
        Format::Csv => csv_body(db, log_id, table, rows),
        Format::Xlsx => xlsx_body(db, log_id, table, rows).await?,
    };
    Ok(Download {
        format,
        filename: format!("{}.{}", ascii_name(file_stem), format.extension()),
        body,
    })
}

/// The CSV is written by a task as the rows come and read by the connection through a
/// small channel: memory stays at a few chunks whatever the number of rows.
fn csv_body(db: sea_orm::DatabaseConnection, log_id: i32, table: Table, mut rows: RowStream) -> Body {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let mut buf = csv::BOM.to_vec();
        csv::write_header(&mut buf, table.header);
        let mut count: i64 = 0;
        while let Some(row) = rows.next().await {
            match row {
                Ok(cells) => {
                    csv::write_record(&mut buf, &cells);
                    count += 1;
                }
                Err(e) => {
                    tracing::error!(error = %e, export = table.what, "export: reading the rows failed");
                    let _ = tx.send(Err(std::io::Error::other("export interrupted"))).await;
                    return;
                }
            }
            if buf.len() >= CHUNK && tx.send(Ok(Bytes::from(std::mem::take(&mut buf)))).await.is_err() {
                return; // the client went away; the log keeps `rows` empty
            }
        }
        if tx.send(Ok(Bytes::from(buf))).await.is_ok() {
            log::finished(&db, log_id, count).await;
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    Body::from_bytes_stream(stream)
}

/// The XLSX is complete in a temporary file (deleted when closed) before it is sent.
async fn xlsx_body(
    db: sea_orm::DatabaseConnection,
    log_id: i32,
    table: Table,
    mut rows: RowStream,
) -> Result<Body, ExportError> {
    let mut sheet = xlsx::SheetWriter::new(table.sheet, table.header)?;
    let mut count: i64 = 0;
    while let Some(cells) = rows.next().await {
        sheet.row(&cells?)?;
        count += 1;
    }
    let file = tokio::task::spawn_blocking(move || -> Result<std::fs::File, ExportError> {
        let mut file = tempfile::tempfile()?;
        sheet.finish(&mut file)?;
        std::io::Seek::rewind(&mut file)?;
        Ok(file)
    })
    .await
    .map_err(|e| ExportError::Io(std::io::Error::other(e)))??;
    log::finished(&db, log_id, count).await;
    Ok(Body::from_async_read(tokio::fs::File::from_std(file)))
}

/// A file name any browser and system takes: ASCII letters, digits, `-` and `_`.
fn ascii_name(stem: &str) -> String {
    let name: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' })
        .collect();
    if name.is_empty() { "export".into() } else { name }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn paged_rows_come_in_order_across_pages_and_stop_on_an_empty_key() {
        let rows = paged(0u32, |page| async move {
            Ok((page < 3).then(|| (vec![vec![Cell::Int(i64::from(page))]; 2], page + 1)))
        });
        let all: Vec<Vec<Cell>> = rows.try_collect().await.unwrap();
        assert_eq!(all.len(), 6);
        assert_eq!(all[5], vec![Cell::Int(2)]);
    }

    #[test]
    fn a_file_name_keeps_only_safe_characters() {
        assert_eq!(ascii_name("inscrits-séance 12"), "inscrits-s-ance-12");
        assert_eq!(ascii_name(""), "export");
    }

    #[test]
    fn the_format_is_read_from_the_file_name() {
        assert_eq!(Format::from_file_name("export.csv"), Some(Format::Csv));
        assert_eq!(Format::from_file_name("export.xlsx"), Some(Format::Xlsx));
        assert_eq!(Format::from_file_name("export.pdf"), None);
        assert_eq!(Format::from_file_name("export"), None);
    }
}
