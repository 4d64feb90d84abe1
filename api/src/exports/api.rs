//! The exports in the admin API: the same files as the console's download links, logged
//! the same way.
use chrono::NaiveDate;
use poem::{Body, web::Data};
use poem_openapi::{ApiResponse, OpenApi, ResponseContent, param::Path, param::Query, payload::Binary};

use super::{
    Download, Format,
    bookings::{self, Period},
    download,
};
use crate::{
    auth::Staff,
    http::error::{ApiError, ApiResult, OrNotFound, bounded_date},
    http::tags::ApiTags,
    platform::state::AppState,
};

pub struct AdminExportsApi;

/// The file, in the format asked for.
#[derive(ResponseContent)]
pub(crate) enum ExportContent {
    /// RFC 4180, UTF-8 with a byte-order mark, CRLF; text cells starting with `=`, `+`, `-`,
    /// `@`, a tab or a CR are prefixed with `'`.
    #[oai(content_type = "text/csv; charset=utf-8")]
    Csv(Binary<Body>),
    /// One sheet, a bold header row; text is always written as text (never a formula).
    #[oai(content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
    Xlsx(Binary<Body>),
}

#[derive(ApiResponse)]
pub(crate) enum ExportFile {
    /// The file: a header row, then one row per booking (only the header when there is none).
    #[oai(status = 200)]
    File(
        ExportContent,
        /// `attachment; filename="…"`.
        #[oai(header = "Content-Disposition")]
        String,
        /// Always `no-store`: the file holds personal data.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

impl From<Download> for ExportFile {
    fn from(d: Download) -> ExportFile {
        let disposition = d.disposition();
        let content = match d.format {
            Format::Csv => ExportContent::Csv(Binary(d.body)),
            Format::Xlsx => ExportContent::Xlsx(Binary(d.body)),
        };
        ExportFile::File(content, disposition, "no-store".into())
    }
}

crate::domain::refusal::map_domain_errors!(ApiError: super::ExportError, super::bookings::PeriodError);

#[OpenApi(prefix_path = "/api/v1/admin", tag = "ApiTags::AdminExports")]
impl AdminExportsApi {
    /// A session's registrants (every status, waiting list and cancellations included), as
    /// CSV or XLSX. Logged (who, what, when).
    #[oai(
        path = "/sessions/:id/registrants/export",
        method = "get",
        operation_id = "adminExportRegistrants"
    )]
    async fn registrants(
        &self,
        state: Data<&AppState>,
        Staff(me): Staff,
        id: Path<i32>,
        /// `csv` (the default) or `xlsx`.
        format: Query<Option<Format>>,
    ) -> ApiResult<ExportFile> {
        let rows = bookings::registrants(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found("Cette séance n'existe pas.")?;
        let format = format.0.unwrap_or(Format::Csv);
        let file = download(
            &state,
            &me,
            bookings::REGISTRANTS,
            format,
            format!("seance={}", id.0),
            &format!("inscrits-seance-{}", id.0),
            rows,
        )
        .await?;
        Ok(file.into())
    }

    /// The appointments of the days `from` to `to` (both included, in the organisation's
    /// zone, a year at most), at one place or all, by start time, as CSV or XLSX. Logged.
    #[oai(
        path = "/appointments/export",
        method = "get",
        operation_id = "adminExportAppointments"
    )]
    async fn appointments(
        &self,
        state: Data<&AppState>,
        Staff(me): Staff,
        /// First day (`2026-12-01`).
        from: Query<Option<NaiveDate>>,
        /// Last day, included.
        to: Query<Option<NaiveDate>>,
        /// Only this place.
        place: Query<Option<i32>>,
        /// `csv` (the default) or `xlsx`.
        format: Query<Option<Format>>,
    ) -> ApiResult<ExportFile> {
        let period = Period::new(bounded_date("from", from.0)?, bounded_date("to", to.0)?, place.0)?;
        let rows = bookings::appointments(&state.db, me.organisation_id, period).await??;
        let format = format.0.unwrap_or(Format::Csv);
        let stem = format!("rendez-vous-{}-{}", period.from, period.to);
        let file = download(
            &state,
            &me,
            bookings::APPOINTMENTS,
            format,
            period.describe(),
            &stem,
            rows,
        )
        .await?;
        Ok(file.into())
    }

    /// The completed activity records whose day is `from` to `to` (both included, a year at
    /// most), at one place or all: one line per record, every field in the codes of La Coop
    /// de la médiation numérique; the mediator's free text is left out. Logged.
    #[oai(path = "/records/export", method = "get", operation_id = "adminExportRecords")]
    async fn records(
        &self,
        state: Data<&AppState>,
        Staff(me): Staff,
        /// First day (`2026-12-01`).
        from: Query<Option<NaiveDate>>,
        /// Last day, included.
        to: Query<Option<NaiveDate>>,
        /// Only this place.
        place: Query<Option<i32>>,
        /// `csv` (the default) or `xlsx`.
        format: Query<Option<Format>>,
    ) -> ApiResult<ExportFile> {
        let period = Period::new(bounded_date("from", from.0)?, bounded_date("to", to.0)?, place.0)?;
        let rows = super::records::completed(&state.db, me.organisation_id, period).await??;
        let stem = format!("comptes-rendus-{}-{}", period.from, period.to);
        let file = download(
            &state,
            &me,
            super::records::RECORDS,
            format.0.unwrap_or(Format::Csv),
            period.describe(),
            &stem,
            rows,
        )
        .await?;
        Ok(file.into())
    }

    /// The figures of `GET /api/v1/admin/stats` for the same filters, as one long table
    /// (section, indicator, code, month, value). Logged.
    #[oai(path = "/stats/export", method = "get", operation_id = "adminExportStatistics")]
    #[allow(clippy::too_many_arguments)] // one parameter per filter, as the spec lists them
    async fn statistics(
        &self,
        state: Data<&AppState>,
        Staff(me): Staff,
        /// First day, `2027-01-31` (or `31/01/2027`), in the organisation's zone.
        from: Query<Option<String>>,
        /// Last day, included.
        to: Query<Option<String>>,
        /// Only this place (its id).
        place: Query<Option<String>>,
        /// Only this workshop's sessions (its id).
        workshop: Query<Option<String>>,
        /// Only appointments for this reason (its id).
        motif: Query<Option<String>>,
        /// `csv` (the default) or `xlsx`.
        format: Query<Option<Format>>,
    ) -> ApiResult<ExportFile> {
        let raw = crate::statistics::RawFilter {
            from: from.0,
            to: to.0,
            place: place.0,
            workshop: workshop.0,
            motif: motif.0,
        };
        let stats = crate::statistics::api::for_request(&state, me.organisation_id, &raw).await?;
        let stem = format!("statistiques-{}-{}", stats.from, stats.to);
        let file = download(
            &state,
            &me,
            super::statistics::STATISTICS,
            format.0.unwrap_or(Format::Csv),
            super::statistics::describe(&stats, &raw),
            &stem,
            super::statistics::stream(&stats),
        )
        .await?;
        Ok(file.into())
    }
}
