//! The export of completed activity records: one line per record, each field in the
//! reference's codes (`individuel`, `email,navigation_sur_internet`, `autonome`…), so that a
//! town hands the State's service the same facts without typing them twice. The mediator's
//! free text (notes, the procedure's details) stays out: it may name the person, and the
//! funders' figures do not need it.
use std::collections::HashMap;

use chrono::NaiveDate;
use entities::activity_record::{self as record, Materiel, RecordStatus, Theme};
use entities::place;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::bookings::{Period, PeriodError};
use super::{Cell, RowStream, Table, paged};
use crate::{
    platform::org_scope::find_in_org,
    records::codes::{Coded, stored_set},
};

/// Rows read per query.
const PAGE: u64 = 500;

pub(crate) const RECORDS: Table = Table {
    what: "records",
    title: "Comptes rendus d'activité",
    sheet: "Comptes rendus",
    header: &[
        "type",
        "date",
        "duree",
        "lieu",
        "thematiques",
        "materiel",
        "typeLieu",
        "autonomie",
        "orienteVersStructure",
        "structureDeRedirection",
        "titreAtelier",
        "niveau",
        "participants",
        "genre",
        "trancheAge",
        "statutSocial",
        "commune",
        "codePostal",
        "codeInsee",
        "premierAccompagnement",
    ],
};

fn code(v: Option<impl Coded>) -> Cell {
    Cell::opt(v.map(Coded::code))
}

fn yes_no(v: Option<bool>) -> Cell {
    Cell::opt(v.map(|b| if b { "oui" } else { "non" }))
}

fn set<T: Coded>(column: &str) -> Result<Cell, DbErr> {
    let codes: Vec<String> = stored_set::<T>(column)?.into_iter().map(Coded::code).collect();
    Ok(Cell::Text(codes.join(",")))
}

fn line(r: record::Model, places: &HashMap<i32, String>) -> Result<Vec<Cell>, DbErr> {
    Ok(vec![
        Cell::Text(r.kind.code()),
        Cell::Text(r.date.format("%Y-%m-%d").to_string()),
        Cell::Int(i64::from(r.duration_minutes)),
        Cell::text(places.get(&r.place_id).cloned().unwrap_or_default()),
        set::<Theme>(&r.themes)?,
        set::<Materiel>(&r.materiel)?,
        code(r.type_lieu),
        code(r.autonomie),
        yes_no(r.oriente),
        code(r.structure),
        Cell::opt(r.titre_atelier),
        code(r.niveau),
        Cell::Int(i64::from(r.participants)),
        code(r.genre),
        code(r.tranche_age),
        code(r.statut_social),
        Cell::opt(r.commune),
        Cell::opt(r.commune_postal_code),
        Cell::opt(r.commune_insee),
        yes_no(r.first_time),
    ])
}

/// The completed records whose day falls in `period`, by day; `Err(Place)` when the place
/// is not the organisation's.
pub(crate) async fn completed(
    db: &DatabaseConnection,
    organisation_id: i32,
    period: Period,
) -> Result<Result<RowStream, PeriodError>, DbErr> {
    if let Some(p) = period.place_id
        && find_in_org::<place::Entity, _>(db, organisation_id, p).await?.is_none()
    {
        return Ok(Err(PeriodError::Place));
    }
    let places: std::sync::Arc<HashMap<i32, String>> = std::sync::Arc::new(
        place::Entity::find()
            .filter(place::Column::OrganisationId.eq(organisation_id))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect(),
    );
    let db = db.clone();
    Ok(Ok(paged(None, move |after: Option<(NaiveDate, i32)>| {
        let (db, places) = (db.clone(), places.clone());
        async move {
            let mut q = record::Entity::find()
                .filter(record::Column::OrganisationId.eq(organisation_id))
                .filter(record::Column::Status.eq(RecordStatus::Completed))
                .filter(record::Column::Date.gte(period.from))
                .filter(record::Column::Date.lte(period.to));
            if let Some(p) = period.place_id {
                q = q.filter(record::Column::PlaceId.eq(p));
            }
            if let Some(key) = after {
                q = q.filter(super::after(record::Column::Date, record::Column::Id, key));
            }
            let rows = q
                .order_by_asc(record::Column::Date)
                .order_by_asc(record::Column::Id)
                .limit(PAGE)
                .all(&db)
                .await?;
            let Some(last) = rows.last().map(|r| (r.date, r.id)) else {
                return Ok(None);
            };
            let cells = rows
                .into_iter()
                .map(|r| line(r, &places))
                .collect::<Result<Vec<_>, DbErr>>()?;
            Ok(Some((cells, Some(last))))
        }
    })))
}
