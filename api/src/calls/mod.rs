//! "À appeler": the people staff must phone because a change they did not make themselves (a
//! place freed from the waiting list, a session cancelled or moved, an appointment moved or
//! cancelled by staff) reached them by neither e-mail nor SMS — no address, a landline, no SMS
//! wanted, "STOP" answered, or the message failed. The outbox is the record: the e-mail row
//! of such a message carries `call_if_unreached`; the call is off the list once someone
//! records it (`call_made`).
pub mod queries;

use chrono_tz::Tz;

use crate::french;
use crate::notifications::payload::{BookingKind, Event, Payload};

/// Whether an event the person did not cause must reach them, by phone if nothing else.
pub fn worth_a_call(event: Event) -> bool {
    matches!(
        event,
        Event::RegistrationPromoted
            | Event::RegistrationCancelled
            | Event::SessionCancelled
            | Event::SessionMoved
            | Event::AppointmentRescheduled
            | Event::AppointmentCancelled
    )
}

/// What to say on the phone, in plain words: what changed, when and where.
pub fn sentence(p: &Payload) -> String {
    let tz: Tz = crate::platform::time::parse_tz(&p.timezone);
    let what = match p.booking {
        BookingKind::Registration => format!("l'atelier « {} »", p.title),
        BookingKind::Appointment => format!("le rendez-vous « {} »", p.title),
    };
    let when = french::at(tz, p.starts_at);
    let place = &p.place_name;
    let reason = p
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| format!(" Motif : {r}."))
        .unwrap_or_default();
    match p.event {
        Event::RegistrationPromoted => {
            format!("Une place s'est libérée : la personne est inscrite à {what}, le {when}, à {place}.")
        }
        Event::SessionCancelled => format!("La séance de {what} du {when} est annulée.{reason}"),
        Event::RegistrationCancelled => format!("Son inscription à {what} du {when} est annulée.{reason}"),
        Event::AppointmentCancelled => {
            format!("Son rendez-vous « {} » du {when} est annulé.{reason}", p.title)
        }
        Event::SessionMoved | Event::AppointmentRescheduled => {
            let before = p
                .previous_starts_at
                .map(|b| format!(" (au lieu du {})", french::at(tz, b)))
                .unwrap_or_default();
            format!("Nouvel horaire pour {what} : le {when}{before}, à {place}.")
        }
        _ => format!("Au sujet de {what}, le {when}, à {place}."),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    /// The sentence with its no-break spaces ("14 h") as plain ones, to compare.
    fn said(p: &Payload) -> String {
        sentence(p).replace('\u{a0}', " ")
    }

    fn payload(event: Event, booking: BookingKind) -> Payload {
        Payload {
            event,
            booking,
            starts_at: Utc.with_ymd_and_hms(2027, 1, 7, 13, 0, 0).unwrap(),
            ends_at: Utc.with_ymd_and_hms(2027, 1, 7, 15, 0, 0).unwrap(),
            reason: None,
            ..Payload::sample()
        }
    }

    #[test]
    fn only_changes_staff_made_are_worth_a_call() {
        assert!(worth_a_call(Event::RegistrationPromoted));
        assert!(worth_a_call(Event::SessionCancelled));
        assert!(!worth_a_call(Event::RegistrationConfirmed));
        assert!(!worth_a_call(Event::Reminder));
    }

    #[test]
    fn the_sentence_says_what_changed_when_and_where_in_the_organisation_s_zone() {
        let p = payload(Event::RegistrationPromoted, BookingKind::Registration);
        assert_eq!(
            said(&p),
            "Une place s'est libérée : la personne est inscrite à l'atelier « Créer mon compte citoyen », \
             le jeudi 7 janvier 2027 à 14 h, à Médiathèque."
        );
        let mut p = payload(Event::SessionCancelled, BookingKind::Registration);
        p.reason = Some("Animatrice malade".into());
        assert_eq!(
            said(&p),
            "La séance de l'atelier « Créer mon compte citoyen » du jeudi 7 janvier 2027 à 14 h est annulée. \
             Motif : Animatrice malade."
        );
        let mut p = payload(Event::AppointmentRescheduled, BookingKind::Appointment);
        p.previous_starts_at = Some(Utc.with_ymd_and_hms(2027, 1, 5, 9, 0, 0).unwrap());
        assert!(
            said(&p).starts_with(
                "Nouvel horaire pour le rendez-vous « Créer mon compte citoyen » : le jeudi 7 janvier 2027 à 14 h \
                 (au lieu du mardi 5 janvier 2027 à 10 h)"
            ),
            "{}",
            said(&p)
        );
        let p = payload(Event::AppointmentCancelled, BookingKind::Appointment);
        assert_eq!(
            said(&p),
            "Son rendez-vous « Créer mon compte citoyen » du jeudi 7 janvier 2027 à 14 h est annulé."
        );
    }
}
