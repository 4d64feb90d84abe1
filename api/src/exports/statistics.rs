//! The export of a period's statistics: the console's figures as one long table (section,
//! indicator, code, month, value), so a spreadsheet can sum, filter and chart them. Counts
//! are numbers; rates are whole percentages, as the console shows them; the median delay is
//! a number of days with one decimal, written as text with a comma (French spreadsheets read
//! a dot as a date).
use futures_util::StreamExt;

use super::{Cell, RowStream, Table};
use crate::statistics::Statistics;
use crate::statistics::compute::CodeCount;

pub(crate) const STATISTICS: Table = Table {
    what: "statistics",
    title: "Statistiques d'une période",
    sheet: "Statistiques",
    header: &["Rubrique", "Indicateur", "Code", "Mois", "Valeur"],
};

fn percent(rate: Option<f64>) -> Cell {
    rate.map_or(Cell::Empty, |r| Cell::Int((r * 100.0).round() as i64))
}

struct Rows(Vec<Vec<Cell>>);

impl Rows {
    fn add(&mut self, section: &str, indicator: &str, value: Cell) {
        self.0.push(vec![
            Cell::text(section),
            Cell::text(indicator),
            Cell::Empty,
            Cell::Empty,
            value,
        ]);
    }

    fn count(&mut self, section: &str, indicator: &str, n: i64) {
        self.add(section, indicator, Cell::Int(n));
    }

    fn codes(&mut self, section: &str, counts: &[CodeCount]) {
        for c in counts {
            self.0.push(vec![
                Cell::text(section),
                Cell::text(c.label.clone()),
                Cell::text(c.code.clone()),
                Cell::Empty,
                Cell::Int(c.count),
            ]);
        }
    }
}

/// The figures as rows, in the console's order.
pub(crate) fn rows(s: &Statistics) -> Vec<Vec<Cell>> {
    let mut r = Rows(Vec::new());
    let all = "Ensemble";
    r.add(
        all,
        "Période",
        Cell::Text(format!("{} – {}", s.from.format("%d/%m/%Y"), s.to.format("%d/%m/%Y"))),
    );
    r.count(all, "Réservations", s.bookings);
    r.count(all, "Personnes différentes", s.people);
    r.add(all, "Taux de présence (%)", percent(s.attendance_rate));
    r.add(all, "Taux d'absence sans prévenir (%)", percent(s.no_show_rate));

    let (w, sec) = (&s.workshops, "Ateliers");
    r.count(sec, "Séances prévues", w.sessions);
    r.count(sec, "Séances tenues", w.sessions_held);
    r.count(sec, "Places offertes", w.seats_offered);
    r.count(sec, "Places prises", w.seats_taken);
    r.add(sec, "Taux de remplissage (%)", percent(w.fill_rate));
    r.count(sec, "Inscriptions", w.registrations);
    r.count(sec, "Présents", w.present);
    r.count(sec, "Absents", w.absent);
    r.count(sec, "Présence non notée", w.unmarked);
    r.add(sec, "Taux de présence (%)", percent(w.attendance_rate));
    r.add(sec, "Taux d'absence (%)", percent(w.no_show_rate));
    r.count(sec, "Inscrits sur liste d'attente", w.waitlisted);
    r.count(sec, "Places données depuis la liste d'attente", w.promotions);
    r.count(sec, "Dont venus", w.promotions_came);

    let (a, sec) = (&s.appointments, "Rendez-vous");
    r.count(sec, "Rendez-vous pris", a.booked);
    r.count(sec, "Honorés", a.honoured);
    r.count(sec, "Absents sans prévenir", a.no_show);
    r.count(sec, "Excusés", a.excused);
    r.count(sec, "Non notés", a.unmarked);
    r.add(sec, "Taux de présence (%)", percent(a.attendance_rate));
    r.add(sec, "Taux d'absence sans prévenir (%)", percent(a.no_show_rate));
    r.add(
        sec,
        "Délai médian entre la réservation et le rendez-vous (jours)",
        a.median_days_to_appointment
            .map_or(Cell::Empty, |d| Cell::Text(format!("{d:.1}").replace('.', ","))),
    );
    r.count(sec, "Annulés", a.cancelled);

    for m in &s.months {
        for (indicator, n) in [
            ("Inscriptions", m.registrations),
            ("Rendez-vous", m.appointments),
            ("Venus", m.came),
            ("Absents sans prévenir", m.no_show),
            ("Places offertes", m.seats_offered),
            ("Places prises", m.seats_taken),
        ] {
            r.0.push(vec![
                Cell::text("Par mois"),
                Cell::text(indicator),
                Cell::Empty,
                Cell::text(m.month.clone()),
                Cell::Int(n),
            ]);
        }
    }

    if let Some(t) = &s.themes_and_autonomy {
        let sec = "Comptes rendus";
        r.count(sec, "Comptes rendus complétés", t.records);
        r.count(sec, "Personnes accompagnées", t.participants);
        r.codes("Thématiques", &t.themes);
        r.codes("Autonomie", &t.autonomy);
    }
    if let Some(v) = &s.survey {
        let sec = "Questionnaire de satisfaction";
        r.count(sec, "Réponses", v.answers);
        r.count(sec, "Questionnaires envoyés", v.invitations);
        r.add(sec, "Taux de réponse (%)", percent(v.response_rate));
        r.add(sec, "Satisfaits (%)", percent(Some(v.share_good)));
        r.add(sec, "Moyennement satisfaits (%)", percent(Some(v.share_average)));
        r.add(sec, "Pas satisfaits (%)", percent(Some(v.share_bad)));
        r.add(
            sec,
            "Clarté des explications (sur 5)",
            v.mean_clarity
                .map_or(Cell::Empty, |c| Cell::Text(format!("{c:.1}").replace('.', ","))),
        );
    }
    r.0
}

/// The rows as an export stream (already computed: nothing is read while sending).
pub(crate) fn stream(s: &Statistics) -> RowStream {
    futures_util::stream::iter(rows(s).into_iter().map(Ok)).boxed()
}

/// What the log keeps of the filters: the period and the ids asked for (already checked).
pub(crate) fn describe(s: &Statistics, raw: &crate::statistics::RawFilter) -> String {
    let mut t = format!("du={} au={}", s.from, s.to);
    for (k, v) in [("lieu", &raw.place), ("atelier", &raw.workshop), ("motif", &raw.motif)] {
        if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            t.push_str(&format!(" {k}={v}"));
        }
    }
    t
}
