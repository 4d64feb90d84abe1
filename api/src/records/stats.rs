//! Counts for the statistics page: what completed records say about themes and autonomy.
use std::collections::BTreeMap;

use chrono::NaiveDate;
use entities::activity_record::{self, Autonomie, RecordStatus, Theme};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

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
    // Only the three columns counted: a year holds some 20,000 records of thirty columns.
    let rows: Vec<(i32, String, Option<Autonomie>)> = q
        .select_only()
        .column(activity_record::Column::Participants)
        .column(activity_record::Column::Themes)
        .column(activity_record::Column::Autonomie)
        .into_tuple()
        .all(db)
        .await?;
    let mut out = Summary::default();
    for (participants, themes, autonomie) in rows {
        out.records += 1;
        out.participants += participants.max(0) as u32;
        for t in stored_set::<Theme>(&themes)? {
            *out.themes.entry(t).or_default() += 1;
        }
        if let Some(a) = autonomie {
            *out.autonomie.entry(a).or_default() += 1;
        }
    }
    Ok(out)
}
