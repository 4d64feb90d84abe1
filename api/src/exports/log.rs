//! The export log: a row when an export starts (who, what, which filters, when), completed
//! with the number of rows once the file is whole. Shown at `/staff/exports`.
use chrono::{DateTime, Utc};
use entities::export_log;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::Format;
use crate::auth::staff::StaffIdentity;

/// The organisation's latest exports, newest first, at most `limit`.
pub(crate) async fn latest<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
    limit: u64,
) -> Result<Vec<export_log::Model>, DbErr> {
    export_log::Entity::find()
        .filter(export_log::Column::OrganisationId.eq(organisation_id))
        .order_by_desc(export_log::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Writes the row of an export that is starting; answers its id.
pub(crate) async fn started<C: ConnectionTrait>(
    db: &C,
    me: &StaffIdentity,
    what: &str,
    format: Format,
    filters: &str,
    now: DateTime<Utc>,
) -> Result<i32, DbErr> {
    let row = export_log::ActiveModel {
        organisation_id: Set(me.organisation_id),
        staff_member_id: Set(me.id),
        what: Set(what.to_string()),
        format: Set(format.extension().to_string()),
        filters: Set(filters.to_string()),
        rows: Set(None),
        at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

/// Records how many rows the finished file holds. A failure here is logged, not answered:
/// the file is already on its way.
pub(crate) async fn finished<C: ConnectionTrait>(db: &C, log_id: i32, rows: i64) {
    let result = export_log::Entity::update(export_log::ActiveModel {
        id: Set(log_id),
        rows: Set(Some(rows)),
        ..Default::default()
    })
    .exec(db)
    .await;
    if let Err(e) = result {
        tracing::error!(error = %e, log_id, "export: recording the row count failed");
    }
}

/// What an export was, in words, for the console.
pub(crate) fn label(what: &str) -> &str {
    super::TABLES.iter().find(|t| t.what == what).map_or(what, |t| t.title)
}
