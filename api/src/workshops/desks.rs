//! Which desks of a mediation point a workshop session occupies: while it runs, those desks
//! take no appointment, and a session cannot be put over appointments already booked there.
//!
//! Stored on the session as `"1,2"` (`None`: no desk, as at a library). Plain functions, no
//! database: the planning service loads the rows and asks.
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use entities::{appointment, kinds::PlaceKind, place};

use super::planning::PlanningError;
use crate::french;

/// The desks `place` gives a new session: all of them when `requested` is `None` at a
/// mediation point, exactly those listed otherwise (sorted, once each). A place that takes no
/// appointment has no desk to give.
///
/// # Errors
///
/// [`PlanningError::NoDesksHere`] when desks are asked of a place that is not a mediation
/// point; [`PlanningError::DeskOutOfRange`] for a number outside `1..=place.desks`.
pub(crate) fn resolve(place: &place::Model, requested: Option<&[i32]>) -> Result<Vec<u32>, PlanningError> {
    let count = u32::try_from(place.desks).unwrap_or(0);
    if place.kind != PlaceKind::MediationPoint {
        return match requested {
            Some(list) if !list.is_empty() => Err(PlanningError::NoDesksHere),
            _ => Ok(Vec::new()),
        };
    }
    let Some(list) = requested else {
        return Ok((1..=count).collect());
    };
    let mut desks = Vec::with_capacity(list.len());
    for &d in list {
        match u32::try_from(d) {
            Ok(d) if (1..=count).contains(&d) => desks.push(d),
            _ => return Err(PlanningError::DeskOutOfRange { desks: place.desks }),
        }
    }
    desks.sort_unstable();
    desks.dedup();
    Ok(desks)
}

/// The desks asked of an edited session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum DeskChange {
    /// Nothing said: at the same place, the desks it has; at another, as a new session there
    /// (all of a mediation point's desks, none elsewhere).
    #[default]
    Unchanged,
    /// As [`resolve`] reads them for a new session: `None` all the place's desks.
    Chosen(Option<Vec<i32>>),
}

/// The desks an edited session occupies at `place` (where it is to be), once `change` is
/// applied to `stored` (its desks column) at `stored_place_id`.
///
/// # Errors
///
/// As [`resolve`].
pub(crate) fn after_edit(
    place: &place::Model,
    stored_place_id: i32,
    stored: Option<&str>,
    change: &DeskChange,
) -> Result<Vec<u32>, PlanningError> {
    match change {
        DeskChange::Unchanged if place.id == stored_place_id => Ok(decode(stored)),
        DeskChange::Unchanged => resolve(place, None),
        DeskChange::Chosen(list) => resolve(place, list.as_deref()),
    }
}

/// The column's text for `desks`: `"1,2"`, or `None` when the session occupies none.
pub(crate) fn encode(desks: &[u32]) -> Option<String> {
    (!desks.is_empty()).then(|| desks.iter().map(u32::to_string).collect::<Vec<_>>().join(","))
}

/// The desks a stored session occupies (a value not written by [`encode`] reads as none).
pub(crate) fn decode(column: Option<&str>) -> Vec<u32> {
    column
        .unwrap_or("")
        .split(',')
        .filter_map(|d| d.trim().parse().ok())
        .collect()
}

/// An appointment that a session would sit on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InTheWay {
    pub appointment_id: i32,
    pub desk: u32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The resident's name: for the staff page only, never in the API's answer.
    pub name: String,
    /// "lundi 11 janvier 2027 de 14 h à 14 h 30, poste 2" (no name).
    pub text: String,
}

/// Whether `[a_start, a_end)` and `[b_start, b_end)` share an instant.
pub(crate) fn overlaps(
    a_start: DateTime<Utc>,
    a_end: DateTime<Utc>,
    b_start: DateTime<Utc>,
    b_end: DateTime<Utc>,
) -> bool {
    a_start < b_end && b_start < a_end
}

/// An appointment still occupying a desk, as the check reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Booked {
    pub id: i32,
    pub desk: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub name: String,
}

impl From<&appointment::Model> for Booked {
    fn from(a: &appointment::Model) -> Booked {
        Booked {
            id: a.id,
            desk: a.desk,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            name: a.name.clone(),
        }
    }
}

/// The appointments among `booked` (the place's non-cancelled ones) that a session from
/// `starts_at` to `ends_at` on `desks` would sit on, by time then desk.
pub(crate) fn in_the_way(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    desks: &[u32],
    booked: &[Booked],
    tz: Tz,
) -> Vec<InTheWay> {
    let mut found: Vec<InTheWay> = booked
        .iter()
        .filter(|a| overlaps(starts_at, ends_at, a.starts_at, a.ends_at))
        .filter_map(|a| {
            let desk = u32::try_from(a.desk).ok().filter(|d| desks.contains(d))?;
            Some(InTheWay {
                appointment_id: a.id,
                desk,
                starts_at: a.starts_at,
                ends_at: a.ends_at,
                name: a.name.clone(),
                text: format!("{}, poste {desk}", french::span(tz, a.starts_at, a.ends_at)),
            })
        })
        .collect();
    found.sort_by_key(|w| (w.starts_at, w.desk));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::Paris;

    fn paris(h: u32, mi: u32) -> DateTime<Utc> {
        Paris
            .with_ymd_and_hms(2027, 1, 11, h, mi, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn place(kind: PlaceKind, desks: i32) -> place::Model {
        place::Model {
            id: 1,
            organisation_id: 1,
            name: "Maison publique de Trinquetaille".into(),
            kind,
            address: "Avenue de Camargue".into(),
            postal_code: "13200".into(),
            city: "Arles".into(),
            public_phone: None,
            equipment: None,
            access_notes: None,
            desks,
            close_on_public_holidays: true,
            active: true,
            created_at: paris(9, 0),
        }
    }

    fn booked(id: i32, desk: i32, start: DateTime<Utc>, minutes: i64) -> Booked {
        Booked {
            id,
            desk,
            starts_at: start,
            ends_at: start + chrono::Duration::minutes(minutes),
            name: format!("Personne {id}"),
        }
    }

    #[test]
    fn a_session_at_a_mediation_point_takes_every_desk_unless_told_which() {
        let point = place(PlaceKind::MediationPoint, 2);
        assert_eq!(resolve(&point, None).unwrap(), vec![1, 2]);
        assert_eq!(resolve(&point, Some(&[2, 2])).unwrap(), vec![2]);
        assert_eq!(resolve(&point, Some(&[])).unwrap(), Vec::<u32>::new());
        for wrong in [3, 0, -1] {
            assert!(matches!(
                resolve(&point, Some(&[wrong])),
                Err(PlanningError::DeskOutOfRange { desks: 2 })
            ));
        }
    }

    #[test]
    fn a_library_has_no_desk_to_give() {
        let library = place(PlaceKind::Library, 1);
        assert_eq!(resolve(&library, None).unwrap(), Vec::<u32>::new());
        assert!(matches!(resolve(&library, Some(&[1])), Err(PlanningError::NoDesksHere)));
    }

    #[test]
    fn an_edited_session_keeps_its_desks_at_its_place_and_takes_the_new_places_default_elsewhere() {
        let point = place(PlaceKind::MediationPoint, 2);
        let library = place::Model {
            id: 2,
            ..place(PlaceKind::Library, 1)
        };
        let unchanged = DeskChange::Unchanged;
        assert_eq!(after_edit(&point, 1, Some("2"), &unchanged).unwrap(), vec![2]);
        assert_eq!(after_edit(&point, 1, None, &unchanged).unwrap(), Vec::<u32>::new());
        assert_eq!(
            after_edit(&point, 2, None, &unchanged).unwrap(),
            vec![1, 2],
            "moved here"
        );
        assert_eq!(
            after_edit(&library, 1, Some("1,2"), &unchanged).unwrap(),
            Vec::<u32>::new()
        );
        let all = DeskChange::Chosen(None);
        assert_eq!(after_edit(&point, 1, Some("2"), &all).unwrap(), vec![1, 2]);
        assert_eq!(
            after_edit(&point, 1, Some("2"), &DeskChange::Chosen(Some(vec![1]))).unwrap(),
            vec![1]
        );
        assert!(matches!(
            after_edit(&library, 1, Some("2"), &DeskChange::Chosen(Some(vec![2]))),
            Err(PlanningError::NoDesksHere)
        ));
    }

    #[test]
    fn desks_are_stored_as_a_list_and_read_back() {
        assert_eq!(encode(&[1, 2]).as_deref(), Some("1,2"));
        assert_eq!(encode(&[]), None);
        assert_eq!(decode(Some("1,2")), vec![1, 2]);
        assert_eq!(decode(None), Vec::<u32>::new());
        assert_eq!(decode(Some("x")), Vec::<u32>::new());
    }

    #[test]
    fn only_appointments_on_the_sessions_desks_and_hours_are_in_the_way() {
        let booked = [
            booked(1, 2, paris(15, 0), 30),  // desk 2, inside
            booked(2, 1, paris(14, 0), 30),  // desk 1, not taken by the session
            booked(3, 2, paris(16, 0), 30),  // right after the end
            booked(4, 2, paris(13, 45), 30), // straddles the start
        ];
        let found = in_the_way(paris(14, 0), paris(16, 0), &[2], &booked, Paris);
        let ids: Vec<_> = found.iter().map(|w| w.appointment_id).collect();
        assert_eq!(ids, vec![4, 1], "by time");
        assert_eq!(
            found[1].text,
            "lundi 11 janvier 2027 de 15\u{a0}h à 15\u{a0}h\u{a0}30, poste 2"
        );
        assert!(!found[1].text.contains("Personne"), "no name in the text");
        assert_eq!(found[1].name, "Personne 1");
    }
}
