//! Delivery reports from the SMS gateways, each to the row's own address:
//!
//! * Kannel: `GET /sms/kannel/report?id=ROW&secret=S&type=%d`, the `dlr-url` given with each
//!   message;
//! * Brevo: `POST /sms/brevo/report?id=ROW&secret=S`, the `webUrl` given with each message,
//!   with Brevo's JSON event as the body (see [`super::brevo::status_of`]).
//!
//! The secret is the row's own, so a report cannot be forged for another message; an unknown
//! row or a wrong secret answers 404 and changes nothing, whatever the gateway.
use entities::kinds::{Channel, OutboxStatus};
use entities::outbox;
use poem::{handler, http::StatusCode, web::Data, web::Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde::Deserialize;

use super::provider::ReportAddress;
use crate::platform::{state::AppState, token};

impl ReportAddress {
    /// Kannel's `dlr-url`: `%d` is left for Kannel to fill with the report type.
    pub fn kannel_url(&self) -> String {
        format!(
            "{}/sms/kannel/report?id={}&secret={}&type=%d",
            self.public_url, self.id, self.secret
        )
    }

    /// Brevo's `webUrl`, which it calls with a JSON body for each event of the message.
    pub(crate) fn brevo_url(&self) -> String {
        format!(
            "{}/sms/brevo/report?id={}&secret={}",
            self.public_url, self.id, self.secret
        )
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Report {
    id: Option<i64>,
    secret: Option<String>,
    #[serde(rename = "type")]
    kind: Option<u32>,
}

/// What a Kannel report type means for the row: 1 delivered; 2 (not delivered) and 16
/// (rejected by the SMS centre) undelivered; 4 and 8 (buffered, accepted) nothing yet.
pub(crate) fn status_of(kind: u32) -> Option<OutboxStatus> {
    match kind {
        1 => Some(OutboxStatus::Delivered),
        2 | 16 => Some(OutboxStatus::Undelivered),
        _ => None,
    }
}

#[handler]
pub(crate) async fn kannel_report(
    Data(state): Data<&AppState>,
    Query(report): Query<Report>,
) -> poem::Result<StatusCode> {
    let status = report.kind.and_then(status_of);
    record(state, report.id, report.secret.as_deref(), || status).await
}

/// The address part of Brevo's call; the event is the body.
#[derive(Debug, Deserialize)]
pub(crate) struct BrevoAddress {
    id: Option<i64>,
    secret: Option<String>,
}

#[handler]
pub(crate) async fn brevo_report(
    Data(state): Data<&AppState>,
    Query(address): Query<BrevoAddress>,
    body: String,
) -> poem::Result<StatusCode> {
    // The body is read only once the secret is known good: a forged call answers 404
    // whatever it sends.
    record(state, address.id, address.secret.as_deref(), || {
        super::brevo::status_of(&body)
    })
    .await
}

/// Checks the row and its secret, then moves the row to what the report says (`None`:
/// nothing to change). Answers 404 for an unknown row or a wrong secret, 200 otherwise.
async fn record(
    state: &AppState,
    id: Option<i64>,
    secret: Option<&str>,
    says: impl FnOnce() -> Option<OutboxStatus>,
) -> poem::Result<StatusCode> {
    let not_found = || poem::Error::from_status(StatusCode::NOT_FOUND);
    let (Some(id), Some(secret)) = (id, secret) else {
        return Err(not_found());
    };
    let row = outbox::Entity::find_by_id(id)
        .filter(outbox::Column::Channel.eq(Channel::Sms))
        .one(&state.db)
        .await
        .map_err(|e| {
            tracing::error!(error = %crate::domain::refusal::chain(&e), "SMS report: database error");
            poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR)
        })?
        .ok_or_else(not_found)?;
    let known = row.sms_secret.as_deref().unwrap_or_default();
    if known.is_empty() || !token::constant_time_eq(known.as_bytes(), secret.as_bytes()) {
        tracing::warn!(outbox_id = id, "SMS report with a wrong secret: ignored");
        return Err(not_found());
    }
    let Some(status) = says() else {
        return Ok(StatusCode::OK);
    };
    // A report may arrive before the worker has recorded the send: the recorder keeps it.
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(status))
        .col_expr(outbox::Column::ReportedAt, Expr::value(Some(state.clock.now())))
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::Status.is_in([
            OutboxStatus::Pending,
            OutboxStatus::Sent,
            OutboxStatus::Delivered,
            OutboxStatus::Undelivered,
        ]))
        .exec(&state.db)
        .await
        .map_err(|e| {
            tracing::error!(error = %crate::domain::refusal::chain(&e), "SMS report: database error");
            poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR)
        })?;
    tracing::info!(outbox_id = id, status = %status, "SMS delivery report");
    Ok(StatusCode::OK)
}
