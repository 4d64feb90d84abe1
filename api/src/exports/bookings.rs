//! The exports of bookings: a session's registrants, the appointments of a period. Erased
//! bookings come out as they are stored ("Personne effacée", no contact): counts stay true.
use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use entities::kinds::{BookedBy, RegistrationStatus};
use entities::{appointment, motif, place, registration, session, workshop};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::{Cell, RowStream, Table, paged};
use crate::{
    appointments::queries::organisation_tz,
    domain::refusal::{DomainError, Refusal},
    french,
    pages::staff::{appointments::status_label, sessions::attendance_label},
    platform::org_scope::find_in_org,
};

/// Rows read per query.
const PAGE: u64 = 500;

pub(crate) const REGISTRANTS: Table = Table {
    what: "registrants",
    title: "Inscrits d'une séance",
    sheet: "Inscrits",
    header: &[
        "Atelier",
        "Date",
        "Heure",
        "Lieu",
        "Code",
        "Nom",
        "Téléphone",
        "E-mail",
        "Statut",
        "Présence",
        "Inscription",
        "Inscrit le",
    ],
};

pub(crate) const APPOINTMENTS: Table = Table {
    what: "appointments",
    title: "Rendez-vous d'une période",
    sheet: "Rendez-vous",
    header: &[
        "Date",
        "Début",
        "Fin",
        "Lieu",
        "Motif",
        "Code",
        "Nom",
        "Téléphone",
        "E-mail",
        "Statut",
        "Besoins d'accessibilité",
        "Remarque",
        "Pris par",
        "Pris le",
    ],
};

fn day(tz: Tz, at: DateTime<Utc>) -> Cell {
    Cell::Text(at.with_timezone(&tz).format("%d/%m/%Y").to_string())
}

fn hour(tz: Tz, at: DateTime<Utc>) -> Cell {
    Cell::Text(at.with_timezone(&tz).format("%H:%M").to_string())
}

/// A phone as French people read it; an erased one (empty) is an empty cell.
fn phone(stored: Option<&str>) -> Cell {
    Cell::opt(stored.filter(|p| !p.is_empty()).map(french::phone))
}

fn booked_by(b: BookedBy) -> Cell {
    Cell::text(match b {
        BookedBy::Resident => "En ligne",
        BookedBy::Staff => "Par l'équipe",
    })
}

fn registration_status(s: RegistrationStatus) -> &'static str {
    match s {
        RegistrationStatus::Confirmed => "Inscrit",
        RegistrationStatus::Waitlisted => "En attente",
        RegistrationStatus::Cancelled => "Annulé",
    }
}

/// The registrants of session `id` (every status), or `None` when the session is not the
/// organisation's.
pub(crate) async fn registrants(
    db: &DatabaseConnection,
    organisation_id: i32,
    session_id: i32,
) -> Result<Option<RowStream>, DbErr> {
    let Some(s) = find_in_org::<session::Entity, _>(db, organisation_id, session_id).await? else {
        return Ok(None);
    };
    let tz = organisation_tz(db, organisation_id).await?;
    let title = workshop::Entity::find_by_id(s.workshop_id)
        .one(db)
        .await?
        .map_or_else(String::new, |w| w.title);
    let place = place::Entity::find_by_id(s.place_id)
        .one(db)
        .await?
        .map_or_else(String::new, |p| p.name);
    let db = db.clone();
    Ok(Some(paged(0, move |after: i32| {
        let (db, title, place, s) = (db.clone(), title.clone(), place.clone(), s.clone());
        async move {
            let rows = registration::Entity::find()
                .filter(registration::Column::SessionId.eq(s.id))
                .filter(registration::Column::Id.gt(after))
                .order_by_asc(registration::Column::Id)
                .limit(PAGE)
                .all(&db)
                .await?;
            let Some(last) = rows.last().map(|r| r.id) else {
                return Ok(None);
            };
            let cells = rows
                .into_iter()
                .map(|r| {
                    vec![
                        Cell::text(title.clone()),
                        day(tz, s.starts_at),
                        hour(tz, s.starts_at),
                        Cell::text(place.clone()),
                        Cell::text(crate::domain::booking_code::display(&r.booking_code)),
                        Cell::Text(r.name),
                        phone(r.phone.as_deref()),
                        Cell::opt(r.email),
                        Cell::text(registration_status(r.status)),
                        Cell::text(attendance_label(r.attendance)),
                        booked_by(r.booked_by),
                        day(tz, r.created_at),
                    ]
                })
                .collect();
            Ok(Some((cells, last)))
        }
    })))
}

/// The appointments wanted: the days `from` to `to` (both included, in the organisation's
/// zone), at one place or all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub place_id: Option<i32>,
}

/// The longest period one export covers.
pub(crate) const MAX_DAYS: i64 = 366;

/// Why a period cannot be exported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PeriodError {
    #[error("Indiquez la date de début, au format JJ/MM/AAAA.")]
    From,
    #[error("Indiquez la date de fin, au format JJ/MM/AAAA.")]
    To,
    #[error("La date de fin doit venir après la date de début.")]
    Reversed,
    #[error("Une période d'un an au plus : faites plusieurs exports.")]
    TooLong,
    #[error("Ce lieu n'existe pas.")]
    Place,
}

impl PeriodError {
    /// The field the message goes beside.
    pub(crate) fn field(&self) -> &'static str {
        match self {
            PeriodError::From => "du",
            PeriodError::To | PeriodError::Reversed | PeriodError::TooLong => "au",
            PeriodError::Place => "lieu",
        }
    }
}

impl DomainError for PeriodError {
    fn refusal(&self) -> Refusal {
        Refusal::Invalid { field: self.field() }
    }
    fn code(&self) -> &'static str {
        "validation"
    }
}

impl Period {
    /// Checks a period as asked (dates already read, `None` when absent or unreadable).
    pub(crate) fn new(
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        place_id: Option<i32>,
    ) -> Result<Period, PeriodError> {
        let from = from.ok_or(PeriodError::From)?;
        let to = to.ok_or(PeriodError::To)?;
        if to < from {
            return Err(PeriodError::Reversed);
        }
        if (to - from).num_days() >= MAX_DAYS {
            return Err(PeriodError::TooLong);
        }
        Ok(Period { from, to, place_id })
    }

    /// What the log keeps: dates and an id, nothing personal.
    pub(crate) fn describe(&self) -> String {
        let mut t = format!("du={} au={}", self.from, self.to);
        if let Some(p) = self.place_id {
            t.push_str(&format!(" lieu={p}"));
        }
        t
    }

    /// The instants `[start, end)` the period covers in `tz`.
    fn bounds(&self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        let at = |d: NaiveDate| {
            crate::domain::series::wall_to_utc_earliest(tz, d.and_time(NaiveTime::MIN))
                .unwrap_or_else(|| d.and_time(NaiveTime::MIN).and_utc())
        };
        (at(self.from), at(self.to + Duration::days(1)))
    }
}

/// The appointments of `period`, by start time; `Err(Place)` when the place is not the
/// organisation's.
pub(crate) async fn appointments(
    db: &DatabaseConnection,
    organisation_id: i32,
    period: Period,
) -> Result<Result<RowStream, PeriodError>, DbErr> {
    if let Some(p) = period.place_id
        && find_in_org::<place::Entity, _>(db, organisation_id, p).await?.is_none()
    {
        return Ok(Err(PeriodError::Place));
    }
    let tz = organisation_tz(db, organisation_id).await?;
    let places = names(
        db,
        place::Entity::find().filter(place::Column::OrganisationId.eq(organisation_id)),
        |p: place::Model| (p.id, p.name),
    )
    .await?;
    let motifs = names(
        db,
        motif::Entity::find().filter(motif::Column::OrganisationId.eq(organisation_id)),
        |m: motif::Model| (m.id, m.label),
    )
    .await?;
    let (start, end) = period.bounds(tz);
    let db = db.clone();
    Ok(Ok(paged(None, move |after: Option<(DateTime<Utc>, i32)>| {
        let (db, places, motifs) = (db.clone(), places.clone(), motifs.clone());
        async move {
            let mut q = appointment::Entity::find()
                .filter(appointment::Column::OrganisationId.eq(organisation_id))
                .filter(appointment::Column::StartsAt.gte(start))
                .filter(appointment::Column::StartsAt.lt(end));
            if let Some(p) = period.place_id {
                q = q.filter(appointment::Column::PlaceId.eq(p));
            }
            if let Some(key) = after {
                q = q.filter(super::after(
                    appointment::Column::StartsAt,
                    appointment::Column::Id,
                    key,
                ));
            }
            let rows = q
                .order_by_asc(appointment::Column::StartsAt)
                .order_by_asc(appointment::Column::Id)
                .limit(PAGE)
                .all(&db)
                .await?;
            let Some(last) = rows.last().map(|a| (a.starts_at, a.id)) else {
                return Ok(None);
            };
            let name_of = |map: &HashMap<i32, String>, id: i32| Cell::text(map.get(&id).cloned().unwrap_or_default());
            let cells = rows
                .into_iter()
                .map(|a| {
                    vec![
                        day(tz, a.starts_at),
                        hour(tz, a.starts_at),
                        hour(tz, a.ends_at),
                        name_of(&places, a.place_id),
                        name_of(&motifs, a.motif_id),
                        Cell::text(crate::domain::booking_code::display(&a.booking_code)),
                        Cell::Text(a.name),
                        phone(a.phone.as_deref()),
                        Cell::opt(a.email),
                        Cell::text(status_label(a.status)),
                        Cell::opt(a.accessibility_needs),
                        Cell::opt(a.note),
                        booked_by(a.booked_by),
                        day(tz, a.created_at),
                    ]
                })
                .collect();
            Ok(Some((cells, Some(last))))
        }
    })))
}

async fn names<E, C>(
    db: &C,
    select: sea_orm::Select<E>,
    pair: impl Fn(E::Model) -> (i32, String),
) -> Result<std::sync::Arc<HashMap<i32, String>>, DbErr>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    Ok(std::sync::Arc::new(
        select.all(db).await?.into_iter().map(pair).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    #[test]
    fn a_period_needs_both_dates_in_order_and_at_most_a_year() {
        assert_eq!(Period::new(None, d("2026-12-01"), None), Err(PeriodError::From));
        assert_eq!(Period::new(d("2026-12-01"), None, None), Err(PeriodError::To));
        assert_eq!(
            Period::new(d("2026-12-02"), d("2026-12-01"), None),
            Err(PeriodError::Reversed)
        );
        assert_eq!(
            Period::new(d("2026-01-01"), d("2027-01-02"), None),
            Err(PeriodError::TooLong)
        );
        assert!(
            Period::new(d("2026-01-01"), d("2027-01-01"), Some(3)).is_ok(),
            "366 days, both ends included"
        );
        assert!(Period::new(d("2026-12-01"), d("2026-12-01"), None).is_ok());
    }

    #[test]
    fn a_period_covers_whole_local_days() {
        let p = Period::new(d("2026-07-01"), d("2026-07-01"), None).unwrap();
        let (start, end) = p.bounds(chrono_tz::Europe::Paris);
        assert_eq!(start.to_rfc3339(), "2026-06-30T22:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2026-07-01T22:00:00+00:00");
        assert_eq!(p.describe(), "du=2026-07-01 au=2026-07-01");
    }
}
