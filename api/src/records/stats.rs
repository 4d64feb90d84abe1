//! Counts for the statistics page: what completed records say about themes and autonomy.
use std::collections::BTreeMap;

use chrono::NaiveDate;
use entities::activity_record::{self, Autonomie, RecordStatus, Theme};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::codes::stored_set;

/// Completed records of a period, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Completed records in the period.
    pub records: u32,
    /// People accompanied: one per individual record, the participants of collective ones.
    pub participants: u32,
    /// Records per theme (a record with two themes counts once in each); themes no record
    /// has are absent. In the reference's order.
    pub themes: BTreeMap<Theme, u32>,
    /// Individual records per autonomy outcome (collective records have none).
    pub autonomie: BTreeMap<Autonomie, u32>,
}

/// The completed records of `organisation_id` dated from `from` to `to` inclusive (days in
/// the organisation's zone, as records are dated), at `place_id` when given, counted per
/// theme and per autonomy outcome. Drafts and declined records do not count. A set column
/// holding an unknown code is a database error, never silently skipped.
pub async fn summary<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
    from: NaiveDate,
    to: NaiveDate,
    place_id: Option<i32>,
) -> Result<Summary, DbErr> {
    let mut q = activity_record::Entity::find()
        .filter(activity_record::Column::OrganisationId.eq(organisation_id))
        .filter(activity_record::Column::Status.eq(RecordStatus::Completed))
        .filter(activity_record::Column::Date.gte(from))
        .filter(activity_record::Column::Date.lte(to));
    if let Some(p) = place_id {
        q = q.filter(activity_record::Column::PlaceId.eq(p));
    }
    let mut out = Summary::default();
    for r in q.all(db).await? {
        out.records += 1;
        out.participants += r.participants.max(0) as u32;
        for t in stored_set::<Theme>(&r.themes)? {
            *out.themes.entry(t).or_default() += 1;
        }
        if let Some(a) = r.autonomie {
            *out.autonomie.entry(a).or_default() += 1;
        }
    }
    Ok(out)
}
