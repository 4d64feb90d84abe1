//! What a planner is warned of before a session is saved, as plain functions: a French public
//! holiday at a place that closes on holidays, another session at the same place at the same
//! time. A warning does not refuse: the planner confirms ("Créer quand même") and the session
//! is created. A series sums its checks up in one sentence ([`SeriesSummary`]).
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::desks::overlaps;
use crate::{domain::holidays::is_french_public_holiday, french};

/// Something to confirm before saving, with its French text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Warning {
    pub kind: WarningKind,
    /// e.g. "Le vendredi 25 décembre 2026 est un jour férié (Noël) : ce lieu ferme les jours fériés."
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WarningKind {
    PublicHoliday { date: NaiveDate },
    Overlap { session_id: i32 },
}

impl WarningKind {
    /// The machine-readable code of the API: `public_holiday`, `overlap`.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            WarningKind::PublicHoliday { .. } => "public_holiday",
            WarningKind::Overlap { .. } => "overlap",
        }
    }
}

/// A session already planned at the place, as the overlap check reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OtherSession {
    pub id: i32,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// The warning for a session on local date `date` at a place that closes on public holidays
/// (`closes_on_holidays`), if that date is one.
pub(crate) fn holiday(closes_on_holidays: bool, date: NaiveDate) -> Option<Warning> {
    let name = is_french_public_holiday(date).filter(|_| closes_on_holidays)?;
    Some(Warning {
        kind: WarningKind::PublicHoliday { date },
        text: format!(
            "Le {} est un jour férié ({name}) : ce lieu ferme les jours fériés.",
            french::long_date(date)
        ),
    })
}

/// One warning per session of `others` (the place's sessions not cancelled, the new one
/// left out) that shares time with `[starts_at, ends_at)`, by start.
pub(crate) fn overlaps_with(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    others: &[OtherSession],
    tz: Tz,
) -> Vec<Warning> {
    let mut hits: Vec<&OtherSession> = others
        .iter()
        .filter(|o| overlaps(starts_at, ends_at, o.starts_at, o.ends_at))
        .collect();
    hits.sort_by_key(|o| (o.starts_at, o.id));
    hits.into_iter()
        .map(|o| Warning {
            kind: WarningKind::Overlap { session_id: o.id },
            text: format!(
                "Une autre séance a lieu au même endroit en même temps : « {} », {}.",
                o.title,
                french::span(tz, o.starts_at, o.ends_at)
            ),
        })
        .collect()
}

/// What a planner confirmed by saving anyway.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Confirmation {
    /// Nothing yet: any warning stops the saving.
    #[default]
    None,
    /// Every warning (the API's `"confirm_warnings": true`).
    All,
    /// The warnings shown on the page, by their [`key`]: if they changed meanwhile (another
    /// session planned, other dates typed), they are shown again.
    Shown(String),
}

impl Confirmation {
    /// Whether saving may go on despite `warnings`.
    pub(crate) fn covers(&self, warnings: &[Warning]) -> bool {
        warnings.is_empty()
            || match self {
                Confirmation::None => false,
                Confirmation::All => true,
                Confirmation::Shown(k) => *k == key(warnings),
            }
    }
}

/// A short stable key of a list of warnings, sent back by the page's "Créer quand même" (or
/// "Enregistrer quand même").
pub(crate) fn key(warnings: &[Warning]) -> String {
    // FNV-1a over the texts: stable across builds and instances, unlike std's hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for w in warnings {
        for b in w.text.bytes().chain([0]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// What a weekly series did, date by date, summed up for the planner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct SeriesSummary {
    pub created: usize,
    /// Public holidays left out (at a place that closes on them).
    pub holidays_skipped: usize,
    /// Sessions created although another one is planned at the same place and time.
    pub overlaps: usize,
    /// Dates left out because appointments are booked on the desks the session needs.
    pub appointments_skipped: usize,
}

impl SeriesSummary {
    /// "13 séances créées, 2 jours fériés sautés, 1 chevauchement à vérifier."
    pub(crate) fn sentence(&self) -> String {
        let plural = |n: usize| if n > 1 { "s" } else { "" };
        let n = self.created;
        let mut parts = vec![format!("{n} séance{} créée{}", plural(n), plural(n))];
        if self.holidays_skipped > 0 {
            let h = self.holidays_skipped;
            parts.push(format!("{h} jour{} férié{} sauté{}", plural(h), plural(h), plural(h)));
        }
        if self.overlaps > 0 {
            let o = self.overlaps;
            parts.push(format!("{o} chevauchement{} à vérifier", plural(o)));
        }
        if self.appointments_skipped > 0 {
            let a = self.appointments_skipped;
            parts.push(format!(
                "{a} date{} sautée{} (rendez-vous déjà pris)",
                plural(a),
                plural(a)
            ));
        }
        format!("{}.", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::Paris;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn paris(y: i32, m: u32, day: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Paris.with_ymd_and_hms(y, m, day, h, mi, 0).unwrap().with_timezone(&Utc)
    }

    fn other(id: i32, start: DateTime<Utc>, end: DateTime<Utc>) -> OtherSession {
        OtherSession {
            id,
            title: "Créer mon compte citoyen".into(),
            starts_at: start,
            ends_at: end,
        }
    }

    #[test]
    fn christmas_at_a_place_that_closes_on_holidays_is_a_warning_with_its_name() {
        let w = holiday(true, d(2026, 12, 25)).unwrap();
        assert_eq!(w.kind, WarningKind::PublicHoliday { date: d(2026, 12, 25) });
        assert_eq!(
            w.text,
            "Le vendredi 25 décembre 2026 est un jour férié (Noël) : ce lieu ferme les jours fériés."
        );
    }

    #[test]
    fn a_holiday_at_a_place_open_on_holidays_and_an_ordinary_day_warn_of_nothing() {
        assert_eq!(holiday(false, d(2026, 12, 25)), None);
        assert_eq!(holiday(true, d(2026, 12, 24)), None);
    }

    #[test]
    fn whit_monday_computed_from_easter_is_a_warning() {
        // Easter 2027 is on 28 March: Whit Monday on 17 May.
        assert!(
            holiday(true, d(2027, 5, 17))
                .unwrap()
                .text
                .contains("Lundi de Pentecôte")
        );
    }

    #[test]
    fn sessions_sharing_time_overlap_and_sessions_end_to_end_do_not() {
        let (s, e) = (paris(2027, 1, 12, 14, 0), paris(2027, 1, 12, 16, 0));
        let others = [
            other(1, paris(2027, 1, 12, 16, 0), paris(2027, 1, 12, 17, 0)),
            other(2, paris(2027, 1, 12, 15, 0), paris(2027, 1, 12, 18, 0)),
            other(3, paris(2027, 1, 12, 12, 0), paris(2027, 1, 12, 14, 0)),
            other(4, paris(2027, 1, 12, 13, 0), paris(2027, 1, 12, 17, 0)),
        ];
        let found = overlaps_with(s, e, &others, Paris);
        let ids: Vec<_> = found
            .iter()
            .map(|w| match w.kind {
                WarningKind::Overlap { session_id } => session_id,
                _ => 0,
            })
            .collect();
        assert_eq!(ids, vec![4, 2], "by start");
        assert_eq!(
            found[1].text,
            "Une autre séance a lieu au même endroit en même temps : « Créer mon compte citoyen », \
             mardi 12 janvier 2027 de 15\u{a0}h à 18\u{a0}h."
        );
    }

    #[test]
    fn a_confirmation_covers_the_warnings_it_was_given_for_and_no_others() {
        let first = vec![holiday(true, d(2026, 12, 25)).unwrap()];
        let other = vec![holiday(true, d(2027, 1, 1)).unwrap()];
        assert!(Confirmation::None.covers(&[]));
        assert!(!Confirmation::None.covers(&first));
        assert!(Confirmation::All.covers(&first));
        assert!(Confirmation::Shown(key(&first)).covers(&first));
        assert!(!Confirmation::Shown(key(&first)).covers(&other));
        assert_ne!(key(&first), key(&[]));
    }

    #[test]
    fn a_series_summary_names_only_what_happened_with_plurals() {
        let summary = SeriesSummary {
            created: 13,
            holidays_skipped: 2,
            overlaps: 1,
            appointments_skipped: 0,
        };
        assert_eq!(
            summary.sentence(),
            "13 séances créées, 2 jours fériés sautés, 1 chevauchement à vérifier."
        );
        let one = SeriesSummary {
            created: 1,
            appointments_skipped: 1,
            ..Default::default()
        };
        assert_eq!(one.sentence(), "1 séance créée, 1 date sautée (rendez-vous déjà pris).");
    }
}
