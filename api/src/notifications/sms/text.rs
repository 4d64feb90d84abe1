//! The French text of an SMS: short, in the GSM alphabet, with the place's phone and the link.
//! A reminder fits one segment (160 characters), every other text two at most (306): the
//! title and the place's name are shortened until it does.
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::gsm;
use crate::french;
use crate::notifications::payload::{BookingKind, Event, Payload};

/// The longest text an event may take, in septets.
pub fn budget(event: Event) -> usize {
    match event {
        Event::Reminder => gsm::SINGLE,
        _ => 2 * gsm::PER_PART,
    }
}

/// The text of one SMS about `p`, transliterated and fitted to its [`budget`]. `public_url`
/// is the base of the short link `/r/{code}`.
pub fn render(p: &Payload, public_url: &str) -> String {
    let tz = crate::platform::time::parse_tz(&p.timezone);
    if p.event == Event::SurveyInvitation {
        return survey(p, tz);
    }
    let limit = budget(p.event);
    // The variable parts (title, place) are cut shorter and shorter until the text fits;
    // then the address goes, then the place.
    for detail in [Detail::Full, Detail::NoAddress, Detail::NoPlace, Detail::NoTitle] {
        for max in [120, 80, 60, 45, 35, 28, 22, 18, 14, 10, 7] {
            let text = gsm::transliterate(&compose(p, public_url, tz, max, detail));
            if gsm::length(&text) <= limit {
                return text;
            }
        }
    }
    gsm::transliterate(&compose(p, public_url, tz, 4, Detail::NoTitle))
}

/// A survey invitation: thanks, the link, and the link to refuse the next ones; the title is
/// cut until it fits two segments.
fn survey(p: &Payload, tz: Tz) -> String {
    use chrono::Datelike;
    let d = p.starts_at.with_timezone(&tz).date_naive();
    let link = p.manage_url.as_deref().map(str::trim).unwrap_or_default();
    let stop = p
        .survey_stop_url
        .as_deref()
        .map(|u| format!(" Ne plus recevoir de questionnaire : {}", u.trim()))
        .unwrap_or_default();
    let compose = |max: usize| {
        let what = match p.booking {
            BookingKind::Registration => format!("à l'atelier \"{}\"", cut(&p.title, max)),
            BookingKind::Appointment => format!("au rendez-vous \"{}\"", cut(&p.title, max)),
        };
        gsm::transliterate(&format!(
            "Merci d'être venu {what} du {:02}/{:02}. Votre avis, anonyme, en 2 minutes : {link}{stop}",
            d.day(),
            d.month()
        ))
    };
    for max in [60, 45, 35, 28, 22, 18, 14, 10, 7, 4] {
        let text = compose(max);
        if gsm::length(&text) <= 2 * gsm::PER_PART {
            return text;
        }
    }
    compose(4)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Detail {
    Full,
    NoAddress,
    NoPlace,
    NoTitle,
}

fn cut(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out = out.trim_end().to_string();
        out.push('.');
        out
    }
}

/// "mardi 12 janvier à 14 h", or for a reminder (one segment) "mardi 12/01 à 14 h".
fn when(tz: Tz, at: DateTime<Utc>, short: bool) -> String {
    use chrono::Datelike;
    let local = at.with_timezone(&tz);
    let day = if short {
        let d = local.date_naive();
        format!("{} {:02}/{:02}", french::weekday(d.weekday()), d.day(), d.month())
    } else {
        french::short_date(local.date_naive())
    };
    format!("{day} à {}", french::time(&local))
}

fn compose(p: &Payload, public_url: &str, tz: Tz, max: usize, detail: Detail) -> String {
    let title = cut(&p.title, max);
    let what = match (p.booking, detail) {
        (BookingKind::Registration, Detail::NoTitle) => "atelier".to_string(),
        (BookingKind::Appointment, Detail::NoTitle) => "rendez-vous".to_string(),
        (BookingKind::Registration, _) => format!("atelier \"{title}\""),
        (BookingKind::Appointment, _) => format!("rendez-vous \"{title}\""),
    };
    let at = when(tz, p.starts_at, p.event == Event::Reminder);
    let place = match detail {
        Detail::Full => format!(", {}, {}", cut(&p.place_name, max), cut(&p.place_address, max + 10)),
        Detail::NoAddress => format!(", {}", cut(&p.place_name, max)),
        Detail::NoPlace | Detail::NoTitle => String::new(),
    };
    // Why staff cancelled, when they said.
    let reason = p
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| format!(" Motif : {}.", cut(r, max)))
        .unwrap_or_default();
    let head = match p.event {
        Event::RegistrationConfirmed | Event::AppointmentConfirmed => {
            format!("Confirmé : {what}, {at}{place}.")
        }
        Event::RegistrationWaitlisted => {
            let rank = p.waitlist_position.map(|n| format!(" (rang {n})")).unwrap_or_default();
            format!("Liste d'attente{rank} : {what}, {at}{place}. Nous vous prévenons si une place se libère.")
        }
        Event::RegistrationPromoted => {
            format!("Une place s'est libérée. Vous êtes inscrit : {what}, {at}{place}.")
        }
        Event::RegistrationCancelled | Event::AppointmentCancelled => {
            format!("Annulé : {what}, {at}.{reason}")
        }
        Event::SessionCancelled => {
            format!("Séance annulée : {what}, {at}.{reason}")
        }
        Event::SessionMoved | Event::AppointmentRescheduled => {
            let before = p
                .previous_starts_at
                .map(|b| format!(" (au lieu de {})", when(tz, b, false)))
                .unwrap_or_default();
            format!("Nouvel horaire : {what}, {at}{before}{place}.")
        }
        Event::Reminder => format!("Rappel : {what}, {at}{place}."),
        // Written by `survey`.
        Event::SurveyInvitation => format!("Votre avis : {what}, {at}."),
    };
    let mut text = head;
    if let Some(phone) = p
        .place_phone
        .as_deref()
        .or(p.organisation_phone.as_deref())
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        text.push_str(&format!(" Tél. {}.", french::phone(phone)));
    }
    // The code and its short link (which asks for the phone) carry no secret and fit an SMS;
    // a message written before codes existed keeps its manage link.
    if let Some(code) = p.booking_code.as_deref().filter(|c| !c.is_empty()) {
        let shown = crate::domain::booking_code::display(code);
        text.push_str(&format!(
            " Code {shown} : {}/r/{code}",
            public_url.trim_end_matches('/')
        ));
    } else if let Some(url) = p.manage_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        text.push_str(&format!(" {url}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(event: Event, booking: BookingKind) -> Payload {
        Payload {
            event,
            booking,
            organisation_phone: Some("04 90 00 00 00".into()),
            title: "Créer mon compte citoyen et gérer mes démarches en ligne sans stress".into(),
            place_name: "Médiathèque Émile-Zola, salle Rhône-Crêtes".into(),
            place_phone: Some("+33490493939".into()),
            // Tuesday 12 January 2027, 14:00 in Paris (as the sample).
            manage_url: Some(format!(
                "https://ateliers.ville-arles.example/inscription/{}",
                "A".repeat(43)
            )),
            waitlist_position: Some(2),
            reason: Some("Animatrice malade, nous sommes désolés".into()),
            booking_code: None,
            ..Payload::sample()
        }
    }

    const URL: &str = "https://ateliers.ville-arles.example";

    const EVENTS: [Event; 10] = [
        Event::RegistrationConfirmed,
        Event::RegistrationWaitlisted,
        Event::RegistrationPromoted,
        Event::RegistrationCancelled,
        Event::SessionCancelled,
        Event::SessionMoved,
        Event::AppointmentConfirmed,
        Event::AppointmentRescheduled,
        Event::AppointmentCancelled,
        Event::Reminder,
    ];

    #[test]
    fn a_confirmation_says_what_when_where_and_carries_the_phone_and_the_link() {
        let p = payload(Event::RegistrationConfirmed, BookingKind::Registration);
        let text = render(&p, URL);
        assert!(text.starts_with("Confirmé : atelier \"Créer mon compte"), "{text}");
        assert!(text.contains("mardi 12 janvier à 14 h"), "{text}");
        assert!(text.contains("Médiathèque"), "{text}");
        assert!(text.contains("Tél. 04 90 49 39 39."), "{text}");
        assert!(text.ends_with(p.manage_url.as_deref().unwrap()), "{text}");
        assert!(gsm::segments(&text) <= 2, "{text}");
    }

    #[test]
    fn a_reminder_with_a_long_title_and_link_fits_one_segment_and_keeps_phone_and_link() {
        for booking in [BookingKind::Registration, BookingKind::Appointment] {
            let p = payload(Event::Reminder, booking);
            let text = render(&p, URL);
            assert!(gsm::length(&text) <= 160, "{} {text}", gsm::length(&text));
            assert_eq!(gsm::segments(&text), 1);
            assert!(text.starts_with("Rappel : "), "{text}");
            assert!(text.contains("Tél. 04 90 49 39 39."), "{text}");
            assert!(text.contains(p.manage_url.as_deref().unwrap()), "{text}");
        }
    }

    #[test]
    fn every_text_is_in_the_gsm_alphabet_and_within_its_budget() {
        for booking in [BookingKind::Registration, BookingKind::Appointment] {
            for event in EVENTS {
                let mut p = payload(event, booking);
                p.title = "Œuvres d’art : « s’initier » à l’être numérique — fête…".repeat(4);
                let text = render(&p, URL);
                assert!(gsm::is_gsm(&text), "{event:?}: {text}");
                assert!(gsm::length(&text) <= budget(event), "{event:?}: {text}");
                assert!(!text.contains('\u{a0}'), "{text}");
            }
        }
    }

    #[test]
    fn without_a_place_phone_the_organisation_s_is_given_and_without_a_link_none_is() {
        let mut p = payload(Event::SessionCancelled, BookingKind::Registration);
        p.place_phone = None;
        p.manage_url = None;
        let text = render(&p, URL);
        assert!(text.contains("Tél. 04 90 00 00 00."), "{text}");
        assert!(text.contains("Motif : Animatrice malade"), "{text}");
        assert!(!text.contains("http"), "{text}");
    }

    #[test]
    fn a_booking_with_a_code_carries_the_code_and_its_short_link_instead_of_the_manage_link() {
        for event in EVENTS {
            let mut p = payload(event, BookingKind::Appointment);
            p.booking_code = Some("K7P4QX".into());
            let text = render(&p, URL);
            assert!(
                text.ends_with("Code K7P-4QX : https://ateliers.ville-arles.example/r/K7P4QX"),
                "{event:?}: {text}"
            );
            assert!(!text.contains("/inscription/"), "{text}");
            assert!(gsm::length(&text) <= budget(event), "{event:?}: {text}");
        }
    }

    #[test]
    fn a_move_gives_the_new_time_and_the_old_one() {
        use chrono::TimeZone;
        let mut p = payload(Event::AppointmentRescheduled, BookingKind::Appointment);
        p.previous_starts_at = Some(chrono::Utc.with_ymd_and_hms(2027, 1, 11, 8, 30, 0).unwrap());
        let text = render(&p, URL);
        assert!(
            text.contains("mardi 12 janvier à 14 h (au lieu de lundi 11 janvier à 9 h 30)"),
            "{text}"
        );
        assert!(gsm::length(&text) <= budget(Event::AppointmentRescheduled), "{text}");
    }

    #[test]
    fn a_survey_sms_carries_both_links_in_two_segments_at_most() {
        let mut p = payload(Event::SurveyInvitation, BookingKind::Appointment);
        p.title = "Aide a la declaration de revenus en ligne et a la creation de compte".repeat(3);
        p.manage_url = Some(format!("https://ateliers.ville-arles.example/avis/{}", "A".repeat(43)));
        p.survey_stop_url = Some(format!(
            "https://ateliers.ville-arles.example/avis/stop/{}",
            "B".repeat(43)
        ));
        let text = render(&p, "https://ateliers.ville-arles.example");
        assert!(gsm::length(&text) <= 2 * gsm::PER_PART, "{text}");
        assert!(text.starts_with("Merci d'etre venu au rendez-vous"), "{text}");
        assert!(
            text.contains(&"A".repeat(43)) && text.contains(&"B".repeat(43)),
            "{text}"
        );
    }
}
