//! The French text of every message, as plain text and HTML from one description.
//!
//! A message is a short list of [`Block`]s (paragraphs, label/value facts, a link, a closing
//! note) built per [`Event`] from the row's payload; both bodies are rendered from the same
//! blocks, so they always say the same thing: the text here, the HTML by the templates of
//! `templates/mail/` (see `mail_html`). Every value (names, titles, addresses, notes, reasons) is
//! data: the templates escape all of them, and only `http(s)` URLs become links.
use chrono_tz::Tz;
use minijinja::{Value, context};

use super::{
    ical::CalendarMethod,
    mail_html,
    payload::{BookingKind, Event, Payload},
};
use crate::french;
use crate::platform::time::parse_tz;

/// What a resident receives: subject line and both bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// One piece of a message body.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Block {
    Para(String),
    /// Label and value lines ("Quand : …").
    Facts(Vec<(&'static str, String)>),
    /// "Intro : url", as a link in HTML.
    Link {
        intro: String,
        label: String,
        url: String,
    },
    /// The signature: who sent it and how to reach them, set apart from the message in HTML.
    Note(String),
}

/// Longest title shown in a subject line; longer ones end with "…".
const SUBJECT_TITLE_MAX: usize = 60;

/// Renders the message of one outbox row. `calendar` is the method of the attached invite
/// (the row's `ical_method`), `None` for a plain message.
pub(crate) fn render(payload: &Payload, recipient_name: &str, calendar: Option<CalendarMethod>) -> Rendered {
    let tz = parse_tz(&payload.timezone);
    let subject = subject(payload, tz);
    let blocks = body(payload, recipient_name, calendar, tz);
    Rendered {
        text: text(&blocks),
        html: html(&subject, &blocks, &tels(payload)),
        subject,
    }
}

/// A phone number the HTML body makes a `tel:` link of wherever it is written.
struct Tel {
    /// As the blocks may write it: French display, or as stored.
    written: Vec<String>,
    /// E.164 when the number reads as one, else its digits.
    href: String,
}

/// The place's and the organisation's phone numbers.
fn tels(p: &Payload) -> Vec<Tel> {
    [p.place_phone.as_deref(), p.organisation_phone.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|raw| !raw.is_empty())
        .map(|raw| {
            let href = crate::domain::contact::PhoneNumber::parse(raw)
                .map_or_else(|_| french::tel_href(raw), |n| n.as_str().to_string());
            let mut written = vec![french::phone(raw), raw.to_string()];
            written.dedup();
            Tel { written, href }
        })
        .filter(|t| t.href.chars().any(|c| c.is_ascii_digit()))
        .collect()
}

/// The first phone number written in `text`, cut out as `{before, phone, href, after}`
/// for the HTML body; `None` when there is none.
fn tel_in(text: &str, tels: &[Tel]) -> Option<Value> {
    let (at, written, href) = tels
        .iter()
        .flat_map(|t| t.written.iter().map(move |w| (w.as_str(), t.href.as_str())))
        .filter_map(|(w, href)| text.find(w).map(|at| (at, w, href)))
        // The earliest, and of two at one place the longest ("04 90…" over "04").
        .min_by_key(|(at, w, _)| (*at, std::cmp::Reverse(w.len())))?;
    Some(context! {
        before => &text[..at], phone => written, href, after => &text[at + written.len()..],
    })
}

/// The subject line: what happened, the title, the day.
pub(crate) fn subject(p: &Payload, tz: Tz) -> String {
    let title = shorten(&p.title, SUBJECT_TITLE_MAX);
    let day = french::short_day(tz, p.starts_at);
    match p.event {
        Event::RegistrationConfirmed => format!("Inscription confirmée : {title}, {day}"),
        Event::RegistrationWaitlisted => format!("Liste d'attente : {title}, {day}"),
        Event::RegistrationPromoted => format!("Une place s'est libérée : {title}, {day}"),
        Event::RegistrationCancelled => format!("Inscription annulée : {title}, {day}"),
        Event::SessionCancelled => format!("Séance annulée : {title}, {day}"),
        Event::SessionMoved => format!("Séance modifiée : {title}, désormais {day}"),
        Event::AppointmentConfirmed => format!("Rendez-vous confirmé : {title}, {day}"),
        Event::AppointmentRescheduled => format!("Rendez-vous déplacé : {title}, désormais {day}"),
        Event::AppointmentCancelled => format!("Rendez-vous annulé : {title}, {day}"),
        Event::Reminder => {
            let time = french::time_of_day(p.starts_at.with_timezone(&tz).time());
            format!("Rappel : {title}, {day} à {time}")
        }
        Event::SurveyInvitation if p.booking == BookingKind::Appointment => {
            format!("Votre avis sur le rendez-vous « {title} »")
        }
        Event::SurveyInvitation => format!("Votre avis sur l'atelier « {title} »"),
    }
}

fn shorten(s: &str, max: usize) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= max {
        s
    } else {
        let cut: String = s.chars().take(max - 1).collect();
        // At the last word that fits whole, unless that would leave too little of the title.
        let at_word = match cut.rfind(' ') {
            Some(space) if cut[..space].chars().count() >= max / 2 => &cut[..space],
            _ => cut.as_str(),
        };
        format!("{}…", at_word.trim_end_matches([' ', ',', ';', ':', '-']))
    }
}

/// The phone number a resident should call: the place's, else the organisation's.
fn phone(p: &Payload) -> Option<&str> {
    p.place_phone
        .as_deref()
        .or(p.organisation_phone.as_deref())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn body(p: &Payload, name: &str, calendar: Option<CalendarMethod>, tz: Tz) -> Vec<Block> {
    if p.event == Event::SurveyInvitation {
        return survey_body(p, name, tz);
    }
    let title = p.title.trim();
    let appointment = p.booking == BookingKind::Appointment;
    let mut b = vec![Block::Para(format!("Bonjour {},", name.trim()))];

    // What happened.
    let headline = match p.event {
        Event::RegistrationConfirmed => format!("Votre inscription à l'atelier « {title} » est confirmée."),
        Event::RegistrationWaitlisted => format!(
            "La séance de l'atelier « {title} » est complète : vous êtes sur la liste d'attente{}.",
            p.waitlist_position
                .map(|n| format!(", en position {n}"))
                .unwrap_or_default()
        ),
        Event::RegistrationPromoted => {
            format!(
                "Bonne nouvelle : une place s'est libérée. Votre inscription à l'atelier « {title} » est confirmée."
            )
        }
        Event::RegistrationCancelled => format!(
            "Votre inscription à l'atelier « {title} » du {} est annulée.",
            french::at(tz, p.starts_at)
        ),
        Event::SessionCancelled => format!(
            "Nous sommes désolés : la séance de l'atelier « {title} » prévue le {} est annulée. \
             Votre inscription est donc annulée.",
            french::at(tz, p.starts_at)
        ),
        Event::SessionMoved => format!("La séance de l'atelier « {title} » a changé d'horaire ou de lieu."),
        Event::AppointmentConfirmed => format!("Votre rendez-vous « {title} » est confirmé."),
        Event::AppointmentRescheduled => format!("Votre rendez-vous « {title} » a été déplacé."),
        Event::AppointmentCancelled => format!(
            "Votre rendez-vous « {title} » du {} est annulé.",
            french::at(tz, p.starts_at)
        ),
        Event::Reminder if appointment => format!("Nous vous rappelons votre rendez-vous « {title} »."),
        Event::Reminder => format!("Nous vous rappelons votre atelier « {title} »."),
        Event::SurveyInvitation => survey_headline(p, tz),
    };
    b.push(Block::Para(headline));

    let cancelled = matches!(
        p.event,
        Event::RegistrationCancelled | Event::SessionCancelled | Event::AppointmentCancelled
    );
    let moved = matches!(p.event, Event::SessionMoved | Event::AppointmentRescheduled);

    // When and where.
    let mut facts = Vec::new();
    if let Some(code) = p.booking_code.as_deref().filter(|c| !c.is_empty()) {
        facts.push(("Code de réservation", crate::domain::booking_code::display(code)));
    }
    if cancelled {
        if let Some(reason) = non_empty(&p.reason) {
            facts.push(("Motif", reason));
        }
        facts.push((
            "Lieu prévu",
            format!("{}, {}", p.place_name.trim(), p.place_address.trim()),
        ));
    } else {
        if moved && let Some(before) = p.previous_starts_at {
            facts.push(("Ancien horaire", french::at(tz, before)));
            facts.push(("Nouvel horaire", french::span(tz, p.starts_at, p.ends_at)));
        } else {
            facts.push(("Quand", french::span(tz, p.starts_at, p.ends_at)));
        }
        facts.push(("Où", format!("{}, {}", p.place_name.trim(), p.place_address.trim())));
        if let Some(access) = non_empty(&p.place_access) {
            facts.push(("Accès", access));
        }
        if let Some(tel) = p.place_phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            facts.push(("Téléphone du lieu", french::phone(tel)));
        }
        if let Some(what) = non_empty(&p.instructions) {
            facts.push(("À apporter", what));
        }
    }
    b.push(Block::Facts(facts));

    // Waiting list.
    match p.event {
        Event::RegistrationWaitlisted => b.push(Block::Para(
            "Si une place se libère, vous recevrez aussitôt un e-mail de confirmation avec l'invitation \
             pour votre agenda. D'ici là, aucune place ne vous est réservée."
                .into(),
        )),
        Event::SessionMoved if calendar.is_none() => {
            if let Some(n) = p.waitlist_position {
                b.push(Block::Para(format!(
                    "Vous êtes toujours sur la liste d'attente, en position {n}. Si une place se libère, \
                     vous recevrez un e-mail de confirmation avec l'invitation pour votre agenda."
                )));
            }
        }
        _ => {}
    }

    // The attached invite.
    let thing = if appointment { "le rendez-vous" } else { "la séance" };
    match calendar {
        Some(CalendarMethod::Request) if moved => b.push(Block::Para(format!(
            "L'invitation jointe (fichier invite.ics) met à jour {thing} dans votre agenda."
        ))),
        Some(CalendarMethod::Request) => b.push(Block::Para(format!(
            "L'invitation jointe (fichier invite.ics) ajoute {thing} à votre agenda."
        ))),
        Some(CalendarMethod::Cancel) => b.push(Block::Para(format!(
            "L'invitation jointe (fichier invite.ics) retire {thing} de votre agenda."
        ))),
        None => {}
    }
    // Gmail and Outlook offer "Oui / Non" under an invite: a "Non" there reaches nobody.
    if calendar == Some(CalendarMethod::Request) {
        b.push(Block::Para(
            "Répondre « non » à l'invitation dans votre agenda n'annule pas : pour annuler, utilisez votre lien de réservation ou votre code."
                .into(),
        ));
    }

    // What to do next.
    let booking = if appointment {
        "votre rendez-vous"
    } else {
        "votre inscription"
    };
    if cancelled {
        let again = if appointment {
            "Pour prendre un autre rendez-vous"
        } else {
            "Pour vous inscrire à une autre séance"
        };
        b.push(Block::Para(match phone(p) {
            Some(tel) => format!("{again} ou pour toute question, appelez le {}.", french::phone(tel)),
            None => format!(
                "{again} ou pour toute question, contactez {}.",
                p.organisation_email.trim()
            ),
        }));
        if let Some(url) = p.manage_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            b.push(Block::Link {
                intro: format!("Pour revoir {booking}"),
                label: format!(
                    "Voir {}",
                    if appointment {
                        "mon rendez-vous"
                    } else {
                        "mon inscription"
                    }
                ),
                url: url.to_string(),
            });
        }
    } else {
        // Someone on the waiting list holds no seat to give back.
        if p.event != Event::RegistrationWaitlisted && p.waitlist_position.is_none() {
            b.push(Block::Para(if appointment {
                "Si vous ne pouvez pas venir, merci d'annuler : le créneau pourra servir à quelqu'un d'autre.".into()
            } else {
                "Si vous ne pouvez pas venir, merci d'annuler : la place ira à une personne de la liste d'attente."
                    .into()
            }));
        }
        match p.manage_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => b.push(Block::Link {
                intro: format!("Pour consulter ou annuler {booking}"),
                label: format!(
                    "Consulter ou annuler {}",
                    if appointment {
                        "mon rendez-vous"
                    } else {
                        "mon inscription"
                    }
                ),
                url: url.to_string(),
            }),
            None => {
                let when = if appointment {
                    "lors de la prise de rendez-vous"
                } else {
                    "lors de votre inscription"
                };
                b.push(Block::Para(match phone(p) {
                    Some(tel) => format!(
                        "Pour consulter ou annuler {booking}, utilisez le lien reçu {when}, ou appelez le {tel}."
                    ),
                    None => format!("Pour consulter ou annuler {booking}, utilisez le lien reçu {when}."),
                }));
            }
        }
    }

    b.push(signature(p));
    b
}

/// Who sent it and how to reach them.
fn signature(p: &Payload) -> Block {
    let mut contact = p.organisation_email.trim().to_string();
    if let Some(tel) = p.organisation_phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        contact = format!("{contact}, {tel}");
    }
    Block::Note(format!(
        "{}\nContact : {contact}\nCe message est envoyé automatiquement : merci de ne pas y répondre.",
        p.organisation_name.trim()
    ))
}

/// "Thank you for coming to the workshop « … » on Tuesday 12 January."
fn survey_headline(p: &Payload, tz: Tz) -> String {
    let title = p.title.trim();
    let day = french::short_date(p.starts_at.with_timezone(&tz).date_naive());
    match p.booking {
        BookingKind::Appointment => format!("Merci d'être venu au rendez-vous « {title} » du {day}."),
        BookingKind::Registration => format!("Merci d'être venu à l'atelier « {title} » du {day}."),
    }
}

/// The survey invitation: why, the link (single use, 14 days), and how to refuse the next ones.
fn survey_body(p: &Payload, name: &str, tz: Tz) -> Vec<Block> {
    let thing = match p.booking {
        BookingKind::Appointment => "le rendez-vous",
        BookingKind::Registration => "l'atelier",
    };
    let mut b = vec![
        Block::Para(format!("Bonjour {},", name.trim())),
        Block::Para(survey_headline(p, tz)),
        Block::Para(format!(
            "Comment s'est passé {thing} ? Dites-le-nous en deux minutes : vos réponses sont anonymes. \
             Elles ne sont reliées ni à vous ni à votre réservation, et nous aident à améliorer l'accueil."
        )),
    ];
    if let Some(url) = p.manage_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        b.push(Block::Link {
            intro: "Pour donner votre avis".into(),
            label: "Donner mon avis".into(),
            url: url.to_string(),
        });
    }
    b.push(Block::Para(format!(
        "Ce lien ne sert qu'une fois et marche pendant {} jours.",
        crate::survey::invite::VALID_DAYS
    )));
    if let Some(url) = p.survey_stop_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        b.push(Block::Link {
            intro: "Pour ne plus recevoir de questionnaire".into(),
            label: "Ne plus recevoir de questionnaire".into(),
            url: url.to_string(),
        });
    }
    b.push(signature(p));
    b
}

fn text(blocks: &[Block]) -> String {
    let mut out = Vec::with_capacity(blocks.len());
    for block in blocks {
        out.push(match block {
            Block::Para(s) | Block::Note(s) => s.clone(),
            Block::Facts(facts) => facts
                .iter()
                .map(|(label, value)| format!("{label} : {}", value.replace('\n', "\n    ")))
                .collect::<Vec<_>>()
                .join("\n"),
            Block::Link { intro, url, .. } => format!("{intro} :\n{url}"),
        });
    }
    let mut s = out.join("\n\n");
    s.push('\n');
    s
}

fn is_web_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The HTML body, from the templates in `templates/mail/`. A link gets an `href` only when
/// [`is_web_url`] says so; otherwise its address is shown as text. The phone numbers of
/// `tels` are `tel:` links, so a resident reading on a phone calls with one tap.
fn html(subject: &str, blocks: &[Block], tels: &[Tel]) -> String {
    let blocks = blocks
        .iter()
        .map(|block| match block {
            Block::Para(text) => context! { kind => "para", text, tel => tel_in(text, tels) },
            Block::Facts(facts) => {
                let facts: Vec<_> = facts
                    .iter()
                    .map(|(label, value)| context! { label, value, tel => tel_in(value, tels) })
                    .collect();
                context! { kind => "facts", facts }
            }
            Block::Link { intro, label, url } => context! {
                kind => "link",
                intro,
                label,
                url,
                href => is_web_url(url).then_some(url),
            },
            Block::Note(text) => context! { kind => "note", text, tel => tel_in(text, tels) },
        })
        .collect();
    mail_html::message(subject, blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invite_says_that_answering_it_in_the_calendar_does_not_cancel() {
        let p = payload(Event::RegistrationConfirmed);
        let with_invite = render(&p, "Zoé", Some(CalendarMethod::Request));
        assert!(with_invite.text.contains("n'annule pas"), "{}", with_invite.text);
        let plain = render(&p, "Zoé", None);
        assert!(!plain.text.contains("n'annule pas"), "{}", plain.text);
    }

    #[test]
    fn a_long_title_is_cut_at_a_word_in_the_subject() {
        let cut = shorten(
            "Créer mon compte citoyen et gérer mes démarches administratives en ligne",
            40,
        );
        assert_eq!(cut, "Créer mon compte citoyen et gérer mes…");
        assert!(cut.chars().count() <= 40);
        // One endless word is cut where it must.
        assert_eq!(shorten(&"a".repeat(50), 10), format!("{}…", "a".repeat(9)));
        assert_eq!(shorten("Court", 40), "Court");
    }
    use chrono::{TimeZone, Utc};

    const EVENTS: [Event; 11] = [
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
        Event::SurveyInvitation,
    ];

    fn payload(event: Event) -> Payload {
        Payload {
            event,
            organisation_phone: Some("04 90 00 00 00".into()),
            place_phone: Some("04 90 49 39 39".into()),
            place_access: Some("Ascenseur à gauche de l'accueil".into()),
            manage_url: Some("https://arles.example/inscription/TOKEN".into()),
            reason: None,
            ..Payload::sample()
        }
    }

    #[test]
    fn the_place_s_phone_is_a_tel_link_in_the_html_part_and_plain_in_the_text() {
        let mut p = payload(Event::RegistrationConfirmed);
        p.place_phone = Some("+33490493939".into());
        let r = render(&p, "Jeanne Martin", None);
        assert!(
            r.html
                .contains(r#"<a href="tel:+33490493939" style="color:#1d4f91">04 90 49 39 39</a>"#),
            "{}",
            r.html
        );
        assert!(r.text.contains("Téléphone du lieu : 04 90 49 39 39\n"), "{}", r.text);
        assert!(!r.text.contains("tel:"));
        // Written as typed, it is still called in E.164; the organisation's number too.
        let r = render(&payload(Event::RegistrationCancelled), "Jeanne Martin", None);
        assert!(
            r.html
                .contains(r#"appelez le <a href="tel:+33490493939" style="color:#1d4f91">04 90 49 39 39</a>."#),
            "{}",
            r.html
        );
        assert!(
            r.html
                .contains(r#"<a href="tel:+33490000000" style="color:#1d4f91">04 90 00 00 00</a>"#)
        );
        assert!(r.text.contains("appelez le 04 90 49 39 39."));
    }

    #[test]
    fn a_confirmation_says_what_when_where_and_how_to_cancel() {
        let r = render(
            &payload(Event::RegistrationConfirmed),
            "Jeanne Martin",
            Some(CalendarMethod::Request),
        );
        assert_eq!(
            r.subject,
            "Inscription confirmée : Créer mon compte citoyen, mardi 12 janvier"
        );
        assert!(r.text.starts_with("Bonjour Jeanne Martin,\n\n"), "{}", r.text);
        assert!(
            r.text
                .contains("Quand : mardi 12 janvier 2027 de 14\u{a0}h à 16\u{a0}h\n")
        );
        assert!(r.text.contains("Où : Médiathèque, Place Félix Rey, 13200 Arles\n"));
        assert!(r.text.contains("Accès : Ascenseur à gauche de l'accueil\n"));
        assert!(r.text.contains("Téléphone du lieu : 04 90 49 39 39"));
        assert!(r.text.contains("Code de réservation : K7P-4QX"), "{}", r.text);
        assert!(r.html.contains("K7P-4QX"), "{}", r.html);
        assert!(r.text.contains("ajoute la séance à votre agenda"));
        assert!(r.text.contains("https://arles.example/inscription/TOKEN"));
        assert!(r.html.contains("href=\"https://arles.example/inscription/TOKEN\""));
        assert!(r.html.contains("<html lang=\"fr\">"));
        assert!(r.html.contains("mardi 12 janvier 2027 de 14\u{a0}h à 16\u{a0}h"));
    }

    #[test]
    fn without_a_manage_link_the_resident_is_pointed_to_the_first_mail_or_the_phone() {
        let mut p = payload(Event::RegistrationPromoted);
        p.manage_url = None;
        let r = render(&p, "Ana", Some(CalendarMethod::Request));
        assert!(
            r.text
                .contains("utilisez le lien reçu lors de votre inscription, ou appelez le 04 90 49 39 39.")
        );
        assert_eq!(links_but_tel(&r.html), 0, "only the phone is a link");
        p.place_phone = None;
        let r = render(&p, "Ana", Some(CalendarMethod::Request));
        assert!(r.text.contains("ou appelez le 04 90 00 00 00."));
    }

    #[test]
    fn the_waiting_list_message_gives_the_position_and_promises_an_invite() {
        let mut p = payload(Event::RegistrationWaitlisted);
        p.waitlist_position = Some(3);
        let r = render(&p, "Bob", None);
        assert_eq!(
            r.subject,
            "Liste d'attente : Créer mon compte citoyen, mardi 12 janvier"
        );
        assert!(r.text.contains("liste d'attente, en position 3."));
        assert!(
            r.text
                .contains("Si une place se libère, vous recevrez aussitôt un e-mail de confirmation avec l'invitation")
        );
        assert!(!r.text.contains("invite.ics"));
    }

    #[test]
    fn a_cancelled_session_gives_the_reason_and_removes_the_event() {
        let mut p = payload(Event::SessionCancelled);
        p.reason = Some("Animateur malade".into());
        p.manage_url = None;
        let r = render(&p, "Chloé", Some(CalendarMethod::Cancel));
        assert_eq!(r.subject, "Séance annulée : Créer mon compte citoyen, mardi 12 janvier");
        assert!(
            r.text
                .contains("prévue le mardi 12 janvier 2027 à 14\u{a0}h est annulée")
        );
        assert!(r.text.contains("Motif : Animateur malade"));
        assert!(r.text.contains("retire la séance de votre agenda"));
        assert!(r.text.contains("appelez le 04 90 49 39 39"));
    }

    #[test]
    fn a_move_shows_the_old_and_the_new_time() {
        let mut p = payload(Event::SessionMoved);
        p.previous_starts_at = Some(Utc.with_ymd_and_hms(2027, 1, 11, 13, 0, 0).unwrap());
        let r = render(&p, "Driss", Some(CalendarMethod::Request));
        assert_eq!(
            r.subject,
            "Séance modifiée : Créer mon compte citoyen, désormais mardi 12 janvier"
        );
        assert!(r.text.contains("Ancien horaire : lundi 11 janvier 2027 à 14\u{a0}h\n"));
        assert!(
            r.text
                .contains("Nouvel horaire : mardi 12 janvier 2027 de 14\u{a0}h à 16\u{a0}h\n")
        );
        assert!(r.text.contains("met à jour la séance dans votre agenda"));
    }

    #[test]
    fn a_move_told_to_someone_waiting_keeps_their_position_and_asks_nothing() {
        let mut p = payload(Event::SessionMoved);
        p.previous_starts_at = Some(Utc.with_ymd_and_hms(2027, 1, 11, 13, 0, 0).unwrap());
        p.waitlist_position = Some(2);
        let r = render(&p, "Driss", None);
        assert!(
            r.text
                .contains("Vous êtes toujours sur la liste d'attente, en position 2.")
        );
        assert!(!r.text.contains("merci d'annuler"));
        assert!(!r.text.contains("invite.ics"));
    }

    #[test]
    fn appointments_speak_of_a_rendez_vous_and_what_to_bring() {
        let mut p = payload(Event::AppointmentConfirmed);
        p.booking = BookingKind::Appointment;
        p.title = "Aide à la déclaration de revenus".into();
        p.instructions = Some("Votre numéro fiscal et votre mot de passe.".into());
        let r = render(&p, "Zoé", Some(CalendarMethod::Request));
        assert_eq!(
            r.subject,
            "Rendez-vous confirmé : Aide à la déclaration de revenus, mardi 12 janvier"
        );
        assert!(
            r.text
                .contains("Votre rendez-vous « Aide à la déclaration de revenus » est confirmé.")
        );
        assert!(
            r.text
                .contains("À apporter : Votre numéro fiscal et votre mot de passe.")
        );
        assert!(r.text.contains("Pour consulter ou annuler votre rendez-vous :"));
        let reminder = render(
            &Payload {
                event: Event::Reminder,
                ..p
            },
            "Zoé",
            None,
        );
        assert_eq!(
            reminder.subject,
            "Rappel : Aide à la déclaration de revenus, mardi 12 janvier à 14\u{a0}h"
        );
        assert!(reminder.text.contains("Nous vous rappelons votre rendez-vous"));
    }

    #[test]
    fn names_titles_and_notes_are_escaped_in_html() {
        let mut p = payload(Event::RegistrationConfirmed);
        p.title = "<script>alert(1)</script> & co".into();
        p.place_access = Some("\"><img src=x onerror=alert(1)>".into());
        let r = render(&p, "<b>Eve</b>", Some(CalendarMethod::Request));
        assert!(!r.html.contains("<script>"));
        assert!(!r.html.contains("<img"));
        assert!(!r.html.contains("<b>Eve"));
        assert!(r.html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
        assert!(r.html.contains("Bonjour &lt;b&gt;Eve&lt;/b&gt;,"));
        // The plain text keeps the data as typed.
        assert!(r.text.contains("Bonjour <b>Eve</b>,"));
    }

    #[test]
    fn only_web_urls_become_links() {
        let mut p = payload(Event::RegistrationConfirmed);
        p.manage_url = Some("javascript:alert(1)".into());
        let r = render(&p, "Eve", None);
        assert_eq!(links_but_tel(&r.html), 0, "{}", r.html);
    }

    #[test]
    fn a_resident_s_name_with_markup_is_escaped_and_a_javascript_url_is_never_a_link() {
        let mut p = payload(Event::RegistrationConfirmed);
        for url in ["javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)"] {
            p.manage_url = Some(url.into());
            let r = render(&p, "<b>Zoé</b> & \"Cie\"", Some(CalendarMethod::Request));
            assert!(
                r.html.contains("Bonjour &lt;b&gt;Zoé&lt;/b&gt; &amp; &quot;Cie&quot;,"),
                "{}",
                r.html
            );
            assert!(!r.html.contains("<b>"));
            assert_eq!(links_but_tel(&r.html), 0, "{}", r.html);
            // Still shown, as text, in both bodies.
            assert!(r.html.to_lowercase().contains("javascript:alert(1)"), "{}", r.html);
            assert!(r.text.contains("Bonjour <b>Zoé</b> & \"Cie\","));
        }
    }

    /// What a reader sees of the HTML body: its text without markup, the button (which repeats
    /// the address written under it) left out, spaces collapsed.
    /// The `href`s of an HTML body that are not a phone's `tel:` link.
    fn links_but_tel(html: &str) -> usize {
        html.matches("href=").count() - html.matches("href=\"tel:").count()
    }

    fn visible_text(html: &str) -> String {
        let body = &html[html.find("<body").unwrap()..];
        let mut out = String::new();
        let (mut in_tag, mut in_button, mut in_tel) = (false, false, false);
        let mut tag = String::new();
        for c in body.chars() {
            match c {
                '<' => {
                    in_tag = true;
                    tag.clear();
                }
                '>' if in_tag => {
                    in_tag = false;
                    // A button's words are its own; a phone's `tel:` link reads as the
                    // number, inline, so its tags add no space.
                    if tag.starts_with("a ") && tag.contains("href=\"tel:") {
                        in_tel = true;
                        continue;
                    } else if tag.starts_with("a ") {
                        in_button = true;
                    } else if tag == "/a" && in_tel {
                        in_tel = false;
                        continue;
                    } else if tag == "/a" {
                        in_button = false;
                    }
                    out.push(' ');
                }
                _ if in_tag => tag.push(c),
                _ if !in_button => out.push(c),
                _ => {}
            }
        }
        let out = out
            .replace("&nbsp;", " ")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&");
        collapse(&out)
    }

    fn collapse(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn the_html_body_says_what_the_text_body_says_for_every_event() {
        for event in EVENTS {
            for calendar in [None, Some(CalendarMethod::Request), Some(CalendarMethod::Cancel)] {
                let mut p = payload(event);
                p.reason = Some("Salle <fermée> & \"inondée\"".into());
                p.previous_starts_at = Some(Utc.with_ymd_and_hms(2027, 1, 11, 13, 0, 0).unwrap());
                p.place_access = Some("Porte B\nPuis l'ascenseur".into());
                let r = render(&p, "Zoé", calendar);
                assert_eq!(visible_text(&r.html), collapse(&r.text), "{event:?} {calendar:?}");
            }
        }
    }

    #[test]
    fn long_titles_are_shortened_in_the_subject_only() {
        let mut p = payload(Event::RegistrationConfirmed);
        p.title = "Atelier ".repeat(20);
        let r = render(&p, "Eve", None);
        assert!(r.subject.contains('…'));
        assert!(r.subject.chars().count() < 110, "{}", r.subject);
        assert!(r.text.contains(p.title.trim()));
    }

    #[test]
    fn a_survey_invitation_thanks_gives_the_link_and_the_way_to_refuse_worded_for_its_subject() {
        let mut p = payload(Event::SurveyInvitation);
        p.manage_url = Some("https://arles.example/avis/TOKEN".into());
        p.survey_stop_url = Some("https://arles.example/avis/stop/STOP".into());
        let r = render(&p, "Zoé", None);
        assert_eq!(r.subject, "Votre avis sur l'atelier « Créer mon compte citoyen »");
        assert!(
            r.text
                .contains("Merci d'être venu à l'atelier « Créer mon compte citoyen » du mardi 12 janvier."),
            "{}",
            r.text
        );
        assert!(r.text.contains("Comment s'est passé l'atelier ?"), "{}", r.text);
        assert!(r.text.contains("https://arles.example/avis/TOKEN"));
        assert!(
            r.text
                .contains("Pour ne plus recevoir de questionnaire :\nhttps://arles.example/avis/stop/STOP")
        );
        assert!(r.text.contains("ne sert qu'une fois et marche pendant 14 jours"));
        assert!(!r.text.contains("annuler"), "nothing to cancel: {}", r.text);
        p.booking = BookingKind::Appointment;
        p.title = "CAF".into();
        let r = render(&p, "Zoé", None);
        assert_eq!(r.subject, "Votre avis sur le rendez-vous « CAF »");
        assert!(
            r.text.contains("Merci d'être venu au rendez-vous « CAF »"),
            "{}",
            r.text
        );
        assert!(r.text.contains("Comment s'est passé le rendez-vous ?"));
    }

    #[test]
    fn every_event_renders_a_subject_and_a_signature() {
        for event in EVENTS {
            let r = render(&payload(event), "Eve", None);
            assert!(!r.subject.is_empty());
            assert!(
                r.text
                    .contains("Ville d'Arles\nContact : contact@arles.example, 04 90 00 00 00"),
                "{event:?}"
            );
            assert!(r.html.contains("Ville d&#39;Arles"), "{event:?}");
        }
    }
}
