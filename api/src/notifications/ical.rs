//! iCalendar (RFC 5545 / iTIP RFC 5546) documents for bookings.
//!
//! Two shapes are produced:
//!
//! * [`invite`]: a single-event iTIP message (`METHOD:REQUEST` or `METHOD:CANCEL`) that is
//!   attached to the confirmation / update / cancellation e-mails. Clients (Outlook, Gmail,
//!   Apple Mail, Thunderbird) match successive messages on `UID` and apply the one with the
//!   highest `SEQUENCE`, so callers must keep the `UID` stable for a booking and bump
//!   `sequence` on every change (including the cancellation).
//! * [`feed`]: a subscribable calendar (no `METHOD`) listing several events.
//!
//! Date-times are always written in UTC (`…Z`): the `icalendar` crate cannot write a valid
//! `VTIMEZONE`, and a `TZID` without its `VTIMEZONE` is rejected by some clients. Clients
//! render UTC times in the reader's own zone, which for our residents is Europe/Paris.
//!
//! Output uses CRLF line endings and is folded at 75 octets (the crate folds on UTF-8 char
//! boundaries counting bytes, see the tests). Text values are escaped by the crate
//! (`\\`, `,`, `;`, newline); we normalise CR/LF and drop other control characters first,
//! because the crate escapes `\n` but would let a bare `\r` through.

use chrono::{DateTime, Utc};
use icalendar::{Alarm, Calendar, Component, Event, EventLike, EventStatus, Property};

/// The iTIP method of an invite, as stored in the outbox.
pub use entities::kinds::CalendarMethod;

/// One booked slot (workshop seat or appointment) as seen by one attendee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEvent {
    /// Stable across updates and the cancellation of the same booking,
    /// e.g. `booking-42@arles.creneau.example`.
    pub uid: String,
    /// Incremented on every change; a cancellation must carry a higher value than the last
    /// request.
    pub sequence: u32,
    /// `Request` (create/update) or `Cancel`. In a [`feed`] it only selects the `STATUS`.
    pub method: CalendarMethod,
    pub summary: String,
    pub location: String,
    pub description: String,
    pub url: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// When this version of the event was produced (`DTSTAMP`). Pass a value stored with the
    /// outbox entry so that a retried send is byte-identical.
    pub dtstamp: DateTime<Utc>,
    pub organizer_name: String,
    pub organizer_email: String,
    pub attendee_name: String,
    /// Without an address no `ATTENDEE` line is written (it must be a `mailto:` URI).
    pub attendee_email: Option<String>,
}

const PRODID: &str = "-//Créneau//Créneau//FR";

/// A single-event iTIP message (`METHOD:REQUEST` or `METHOD:CANCEL`).
///
/// For `Request` the event has `STATUS:CONFIRMED`, the attendee is already
/// `PARTSTAT=ACCEPTED;RSVP=FALSE` (the booking is confirmed by Créneau, there is nothing to
/// answer: this keeps Gmail/Outlook from showing "Yes/No/Maybe" buttons whose replies would go
/// to the organizer address), and a display alarm fires one hour before the start.
/// For `Cancel` the event has `STATUS:CANCELLED` and no alarm.
pub fn invite(ev: &CalendarEvent) -> String {
    let mut cal = base_calendar();
    // RFC 5546: a REQUEST or a CANCEL names its ATTENDEE. A booking without e-mail has none,
    // so its download is a published event (a cancelled one keeps `STATUS:CANCELLED`).
    let method = if ev.attendee_email.is_some() {
        ev.method.as_str()
    } else {
        "PUBLISH"
    };
    cal.append_property(Property::new("METHOD", method));
    cal.push(vevent(ev, ev.method == CalendarMethod::Request));
    render(&cal)
}

/// A subscribable calendar (for `webcal://` / "add by URL"): no `METHOD`, `X-WR-CALNAME`,
/// `X-WR-TIMEZONE:Europe/Paris`, a refresh hint of one hour, and one `VEVENT` per event
/// (cancelled events are kept with `STATUS:CANCELLED` so subscribers drop them). No alarms:
/// subscribed calendars are read-only and most clients ignore or duplicate their alarms.
pub(crate) fn feed(name: &str, events: &[CalendarEvent]) -> String {
    let mut cal = base_calendar();
    cal.append_property(Property::new("X-WR-CALNAME", clean_text(name)));
    cal.append_property(Property::new("X-WR-TIMEZONE", "Europe/Paris"));
    cal.append_property(
        Property::new("REFRESH-INTERVAL", "PT1H")
            .add_parameter("VALUE", "DURATION")
            .done(),
    );
    cal.append_property(Property::new("X-PUBLISHED-TTL", "PT1H"));
    for ev in events {
        cal.push(vevent(ev, false));
    }
    render(&cal)
}

fn base_calendar() -> Calendar {
    let mut cal = Calendar::empty();
    cal.append_property(Property::new("PRODID", PRODID));
    cal.append_property(Property::new("VERSION", "2.0"));
    cal.append_property(Property::new("CALSCALE", "GREGORIAN"));
    cal
}

fn vevent(ev: &CalendarEvent, with_alarm: bool) -> Event {
    let summary = clean_text(&ev.summary);
    let mut event = Event::new();
    event
        .uid(&clean_text(&ev.uid))
        .sequence(ev.sequence)
        .timestamp(ev.dtstamp)
        .starts(ev.starts_at)
        .ends(ev.ends_at)
        .summary(&summary)
        .location(&clean_text(&ev.location))
        .description(&clean_text(&ev.description))
        .status(match ev.method {
            CalendarMethod::Request => EventStatus::Confirmed,
            CalendarMethod::Cancel => EventStatus::Cancelled,
        })
        .add_property("TRANSP", "OPAQUE");
    if let Some(url) = &ev.url {
        event.url(&clean_uri(url));
    }
    event.append_property(
        Property::new("ORGANIZER", format!("mailto:{}", clean_uri(&ev.organizer_email)))
            .add_parameter("CN", &clean_param(&ev.organizer_name))
            .done(),
    );
    if let Some(email) = &ev.attendee_email {
        event.append_multi_property(
            Property::new("ATTENDEE", format!("mailto:{}", clean_uri(email)))
                .add_parameter("CN", &clean_param(&ev.attendee_name))
                .add_parameter("ROLE", "REQ-PARTICIPANT")
                .add_parameter("PARTSTAT", "ACCEPTED")
                .add_parameter("RSVP", "FALSE")
                .done(),
        );
    }
    if with_alarm {
        // `Alarm::display` writes the trigger as `-PT3600S`; `-PT1H` is what clients
        // themselves write, so replace it (properties are keyed by name).
        let mut alarm = Alarm::display(&format!("Rappel : {summary}"), -chrono::Duration::hours(1));
        alarm.append_property(Property::new("TRIGGER", "-PT1H"));
        event.alarm(alarm);
    }
    event.done()
}

/// Serialises the calendar and removes the `DTSTAMP`/`UID` lines that the crate stamps into
/// every sub-component lacking them. In a `VALARM` `DTSTAMP` is not allowed by RFC 5545 and a
/// random `UID` would make the output differ on every call (a retried e-mail must be
/// byte-identical).
fn render(cal: &Calendar) -> String {
    strip_stamped_lines(&cal.to_string())
}

fn strip_stamped_lines(ics: &str) -> String {
    let mut out = String::with_capacity(ics.len());
    let mut depth_in_alarm = 0usize;
    let mut skipping = false;
    for line in ics.split_inclusive("\r\n") {
        let continuation = line.starts_with(' ') || line.starts_with('\t');
        if continuation {
            if !skipping {
                out.push_str(line);
            }
            continue;
        }
        skipping = false;
        if line.starts_with("BEGIN:VALARM") {
            depth_in_alarm += 1;
        } else if line.starts_with("END:VALARM") {
            depth_in_alarm = depth_in_alarm.saturating_sub(1);
        } else if depth_in_alarm > 0
            && (line.starts_with("DTSTAMP:")
                || line.starts_with("DTSTAMP;")
                || line.starts_with("UID:")
                || line.starts_with("UID;"))
        {
            skipping = true;
            continue;
        }
        out.push_str(line);
    }
    out
}

/// Text values: normalise line breaks to `\n` (escaped by the crate as `\n`), drop other
/// control characters (a bare CR would otherwise end the content line).
fn clean_text(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    s.chars()
        .filter(|c| *c == '\n' || *c == '\t' || !c.is_control())
        .collect()
}

/// Parameter values (CN) cannot contain DQUOTE nor control characters, and are not escaped:
/// the crate quotes them when they contain `:`, `;` or `,`.
fn clean_param(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .filter(|c| *c != '"')
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// URI values (mailto:, URL) are written verbatim: no whitespace or control characters.
fn clean_uri(s: &str) -> String {
    s.chars().filter(|c| !c.is_control() && !c.is_whitespace()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::str::FromStr;

    fn sample(method: CalendarMethod) -> CalendarEvent {
        CalendarEvent {
            uid: "booking-42@arles.creneau.example".into(),
            sequence: 3,
            method,
            summary: "Atelier « Premiers pas sur l'ordinateur », médiathèque d'Arles".into(),
            location: "Médiathèque Joseph-Quillery; salle 2, 1er étage".into(),
            description: "Apportez votre carte d'identité.\nAccès PMR.".into(),
            url: Some("https://arles.creneau.example/reservations/42".into()),
            starts_at: Utc.with_ymd_and_hms(2025, 3, 14, 9, 30, 0).unwrap(),
            ends_at: Utc.with_ymd_and_hms(2025, 3, 14, 11, 0, 0).unwrap(),
            dtstamp: Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap(),
            organizer_name: "Ville d'Arles, médiation numérique".into(),
            organizer_email: "ne-pas-repondre@arles.creneau.example".into(),
            attendee_name: "Zoé Lefèvre".into(),
            attendee_email: Some("zoe.lefevre@example.fr".into()),
        }
    }

    fn parsed(ics: &str) -> icalendar::Calendar {
        icalendar::Calendar::from_str(ics).expect("parses")
    }

    fn unfolded_lines(ics: &str) -> Vec<String> {
        icalendar::parser::unfold(ics)
            .split("\r\n")
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn request_parses_back_with_itip_fields() {
        let ev = sample(CalendarMethod::Request);
        let ics = invite(&ev);
        let cal = parsed(&ics);
        assert_eq!(cal.property_value("METHOD"), Some("REQUEST"));
        assert_eq!(cal.property_value("PRODID"), Some(PRODID));
        assert_eq!(cal.property_value("VERSION"), Some("2.0"));
        assert_eq!(cal.property_value("CALSCALE"), Some("GREGORIAN"));
        let events: Vec<_> = cal.events().collect();
        assert_eq!(events.len(), 1);
        let e = events[0];
        assert_eq!(e.get_uid(), Some(ev.uid.as_str()));
        assert_eq!(e.get_sequence(), Some(3));
        assert_eq!(e.get_summary(), Some(ev.summary.as_str()));
        assert_eq!(e.get_location(), Some(ev.location.as_str()));
        assert_eq!(e.get_description(), Some(ev.description.as_str()));
        assert_eq!(e.get_status(), Some(EventStatus::Confirmed));
        assert_eq!(e.get_timestamp(), Some(ev.dtstamp));
        assert_eq!(e.property_value("DTSTART"), Some("20250314T093000Z"));
        assert_eq!(e.property_value("DTEND"), Some("20250314T110000Z"));
        assert_eq!(e.property_value("TRANSP"), Some("OPAQUE"));
        assert_eq!(e.get_url(), ev.url.as_deref());

        let attendees = e.get_attendees();
        assert_eq!(attendees.len(), 1);
        let lines = unfolded_lines(&ics);
        let attendee = lines.iter().find(|l| l.starts_with("ATTENDEE")).expect("attendee");
        assert_eq!(
            attendee,
            "ATTENDEE;CN=Zoé Lefèvre;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:zoe.lefevre@example.fr"
        );
        let organizer = lines.iter().find(|l| l.starts_with("ORGANIZER")).expect("organizer");
        assert_eq!(
            organizer,
            "ORGANIZER;CN=\"Ville d'Arles, médiation numérique\":mailto:ne-pas-repondre@arles.creneau.example"
        );
    }

    #[test]
    fn request_has_one_hour_display_alarm_without_stamps() {
        let ics = invite(&sample(CalendarMethod::Request));
        let lines = unfolded_lines(&ics);
        let begin = lines.iter().position(|l| l == "BEGIN:VALARM").unwrap();
        let end = lines.iter().position(|l| l == "END:VALARM").unwrap();
        let alarm = &lines[begin + 1..end];
        assert!(alarm.contains(&"ACTION:DISPLAY".to_owned()));
        assert!(
            alarm.contains(&"TRIGGER;RELATED=START:-PT1H".to_owned()) || alarm.contains(&"TRIGGER:-PT1H".to_owned()),
            "{alarm:?}"
        );
        assert!(alarm.iter().any(|l| l.starts_with("DESCRIPTION:Rappel : ")));
        assert!(!alarm.iter().any(|l| l.starts_with("DTSTAMP") || l.starts_with("UID")));
        assert_eq!(lines.iter().filter(|l| l.starts_with("DTSTAMP")).count(), 1);
        assert_eq!(lines.iter().filter(|l| l.starts_with("UID")).count(), 1);
        // The alarm is still understood by the parser.
        assert_eq!(parsed(&ics).events().next().unwrap().components().len(), 1);
    }

    #[test]
    fn output_is_deterministic() {
        let ev = sample(CalendarMethod::Request);
        assert_eq!(invite(&ev), invite(&ev));
        let events = std::slice::from_ref(&ev);
        assert_eq!(feed("Agenda", events), feed("Agenda", events));
    }

    #[test]
    fn cancel_has_cancelled_status_and_no_alarm() {
        let mut ev = sample(CalendarMethod::Cancel);
        ev.sequence = 4;
        let ics = invite(&ev);
        let cal = parsed(&ics);
        assert_eq!(cal.property_value("METHOD"), Some("CANCEL"));
        let e = cal.events().next().unwrap();
        assert_eq!(e.get_status(), Some(EventStatus::Cancelled));
        assert_eq!(e.get_sequence(), Some(4));
        assert_eq!(e.get_uid(), Some(ev.uid.as_str()));
        assert!(!ics.contains("VALARM"));
        assert!(ics.contains("STATUS:CANCELLED\r\n"));
    }

    #[test]
    fn crlf_everywhere() {
        for ics in [
            invite(&sample(CalendarMethod::Request)),
            invite(&sample(CalendarMethod::Cancel)),
            feed("Agenda", &[sample(CalendarMethod::Request)]),
        ] {
            assert!(ics.ends_with("END:VCALENDAR\r\n"));
            let bytes = ics.as_bytes();
            for (i, b) in bytes.iter().enumerate() {
                if *b == b'\n' {
                    assert!(i > 0 && bytes[i - 1] == b'\r', "bare LF at {i}");
                }
                if *b == b'\r' {
                    assert_eq!(bytes.get(i + 1), Some(&b'\n'), "bare CR at {i}");
                }
            }
        }
    }

    #[test]
    fn long_french_lines_fold_at_75_octets() {
        let mut ev = sample(CalendarMethod::Request);
        ev.summary = "Atelier numérique « Sécurité, démarches en ligne et téléchargement de \
            l'attestation » — Médiathèque Émile-Zola, Montpellier; séance n°3 ✓ 🎉 ééééééééééééé"
            .into();
        ev.description = "é".repeat(200) + &"🎉a".repeat(60);
        ev.attendee_name = "Éléonore-Françoise de La Tour d'Auvergne-Lauraguais".into();
        let ics = invite(&ev);
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        }
        assert!(ics.contains("\r\n "), "long lines are folded");
        let cal = parsed(&ics);
        let e = cal.events().next().unwrap();
        assert_eq!(e.get_summary(), Some(ev.summary.as_str()));
        assert_eq!(e.get_description(), Some(ev.description.as_str()));

        // Every possible fold offset across multi-byte characters.
        for pad in 0..8 {
            let mut ev = sample(CalendarMethod::Request);
            ev.summary = "a".repeat(pad) + &"é🎉ç".repeat(40);
            let ics = invite(&ev);
            assert!(ics.split("\r\n").all(|l| l.len() <= 75));
            let cal = parsed(&ics);
            assert_eq!(cal.events().next().unwrap().get_summary(), Some(ev.summary.as_str()));
        }
    }

    #[test]
    fn text_with_commas_semicolons_backslashes_and_newlines_round_trips() {
        let mut ev = sample(CalendarMethod::Request);
        ev.summary = "Café, thé; et \\ « le reste »,;".into();
        ev.description = "Ligne 1\r\nLigne 2\rLigne 3\nFin\u{7}".into();
        ev.location = "Salle A; Bâtiment B, rez-de-chaussée".into();
        let ics = invite(&ev);
        assert!(ics.contains("SUMMARY:Café\\, thé\\; et \\\\ « le reste »\\,\\;\r\n"));
        let cal = parsed(&ics);
        let e = cal.events().next().unwrap();
        assert_eq!(e.get_summary(), Some(ev.summary.as_str()));
        assert_eq!(e.get_location(), Some(ev.location.as_str()));
        assert_eq!(e.get_description(), Some("Ligne 1\nLigne 2\nLigne 3\nFin"));
    }

    #[test]
    fn names_cannot_break_out_of_parameters() {
        let mut ev = sample(CalendarMethod::Request);
        ev.attendee_name = "Eve\"\r\nATTENDEE:mailto:evil@x; ROLE=CHAIR".into();
        ev.attendee_email = Some("eve@example.fr\r\nX-EVIL:1".into());
        let ics = invite(&ev);
        let lines = unfolded_lines(&ics);
        assert_eq!(lines.iter().filter(|l| l.starts_with("ATTENDEE")).count(), 1);
        assert!(!lines.iter().any(|l| l.starts_with("X-EVIL")));
        let e = parsed(&ics).events().next().unwrap().clone();
        let attendees = e.get_attendees();
        assert_eq!(attendees.len(), 1);
        assert_eq!(attendees[0].cal_address, "mailto:eve@example.frX-EVIL:1");
    }

    #[test]
    fn attendee_without_email_is_omitted() {
        let mut ev = sample(CalendarMethod::Request);
        ev.attendee_email = None;
        let ics = invite(&ev);
        assert!(!ics.contains("ATTENDEE"));
        assert!(parsed(&ics).events().next().is_some());
    }

    #[test]
    fn feed_lists_events_without_method() {
        let a = sample(CalendarMethod::Request);
        let mut b = sample(CalendarMethod::Cancel);
        b.uid = "booking-43@arles.creneau.example".into();
        let ics = feed("Médiation numérique, Arles", &[a, b]);
        let cal = parsed(&ics);
        assert_eq!(cal.property_value("METHOD"), None);
        assert_eq!(cal.property_value("X-WR-CALNAME"), Some("Médiation numérique, Arles"));
        assert_eq!(cal.property_value("X-WR-TIMEZONE"), Some("Europe/Paris"));
        let events: Vec<_> = cal.events().collect();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].get_status(), Some(EventStatus::Confirmed));
        assert_eq!(events[1].get_status(), Some(EventStatus::Cancelled));
        assert_eq!(events[1].get_uid(), Some("booking-43@arles.creneau.example"));
        assert!(!ics.contains("VALARM"));
        assert!(ics.split("\r\n").all(|l| l.len() <= 75));
    }

    #[test]
    fn method_strings() {
        assert_eq!(CalendarMethod::Request.as_str(), "REQUEST");
        assert_eq!(CalendarMethod::Cancel.as_str(), "CANCEL");
    }
}
