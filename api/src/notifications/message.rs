//! From an outbox row to the e-mail it stands for: French text and HTML, and for bookings the
//! iCalendar invite built from the row's UID, SEQUENCE, method and creation time (so a retried
//! send carries the same calendar data).
use chrono::{DateTime, Utc};
use entities::outbox;

use crate::platform::config::Settings;

use super::{
    compose::OutgoingEmail,
    ical::{CalendarEvent, CalendarMethod, invite},
    payload::{BookingKind, Event, Payload},
    render::render,
};

#[derive(Debug, thiserror::Error)]
pub(crate) enum MessageError {
    #[error("unreadable payload: {0}")]
    Payload(#[from] serde_json::Error),
    #[error("the row has no recipient e-mail")]
    NoRecipient,
    #[error("an invite row without UID")]
    NoUid,
}

/// Who an invite is from and for, and which version of the event it is.
pub(crate) struct InviteVersion<'a> {
    pub uid: &'a str,
    pub sequence: i32,
    pub method: CalendarMethod,
    /// `DTSTAMP`: when this version was decided.
    pub dtstamp: DateTime<Utc>,
    /// The organisation's contact address (see [`contact_address`]); its name is the
    /// organisation's.
    pub organizer_email: &'a str,
    pub attendee_name: &'a str,
    pub attendee_email: Option<&'a str>,
}

/// The calendar event of a booking as the payload describes it.
pub(crate) fn calendar_event(p: &Payload, v: &InviteVersion<'_>) -> CalendarEvent {
    let (kind, what) = match p.booking {
        BookingKind::Registration => ("Atelier", "votre inscription"),
        BookingKind::Appointment => ("Rendez-vous", "votre rendez-vous"),
    };
    let title = p.title.trim();
    let location = format!("{}, {}", p.place_name.trim(), p.place_address.trim());
    let mut lines = vec![
        format!("{kind} « {title} » — {}", p.organisation_name.trim()),
        format!("Lieu : {location}"),
    ];
    fn push(lines: &mut Vec<String>, label: &str, value: &Option<String>) {
        if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            lines.push(format!("{label} : {v}"));
        }
    }
    push(&mut lines, "Accès", &p.place_access);
    push(
        &mut lines,
        "Téléphone",
        &p.place_phone.clone().or(p.organisation_phone.clone()),
    );
    push(&mut lines, "À apporter", &p.instructions);
    if v.method == CalendarMethod::Cancel {
        lines.push("Annulé.".into());
        push(&mut lines, "Motif", &p.reason);
    }
    let url = p
        .manage_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_string);
    if let Some(code) = p.booking_code.as_deref().filter(|c| !c.is_empty()) {
        lines.push(format!(
            "Code de réservation : {}",
            crate::domain::booking_code::display(code)
        ));
    }
    match (&url, v.method) {
        // A cancelled event offers nothing more to cancel.
        (Some(u), CalendarMethod::Cancel) => lines.push(format!("Consulter {what} : {u}")),
        (Some(u), _) => lines.push(format!("Consulter ou annuler {what} : {u}")),
        (None, CalendarMethod::Request) => lines.push(format!(
            "Pour annuler : utilisez le lien reçu par e-mail lors de {what}."
        )),
        (None, _) => {}
    }
    if v.method == CalendarMethod::Request {
        lines.push(
            "Répondre « non » à cette invitation dans votre agenda n'annule pas : utilisez le lien ou votre code de réservation."
                .into(),
        );
    }
    CalendarEvent {
        uid: v.uid.to_string(),
        sequence: u32::try_from(v.sequence).unwrap_or(0),
        method: v.method,
        summary: format!("{kind} « {title} »"),
        location,
        description: lines.join("\n"),
        url,
        starts_at: p.starts_at,
        ends_at: p.ends_at,
        dtstamp: v.dtstamp,
        organizer_name: p.organisation_name.trim().to_string(),
        organizer_email: v.organizer_email.to_string(),
        attendee_name: v.attendee_name.to_string(),
        attendee_email: v.attendee_email.map(str::to_string),
    }
}

/// Where a resident's answer should go: the organisation's contact address when it has one,
/// else the sending address. Used as the invite's `ORGANIZER` and the mail's `Reply-To`, so
/// that a "Non" in Gmail or Outlook, or a reply, reaches someone instead of `ne-pas-repondre@`.
pub(crate) fn contact_address<'a>(organisation_email: &'a str, mail_from: &'a str) -> &'a str {
    let contact = organisation_email.trim();
    if crate::domain::contact::EmailAddress::parse(contact).is_ok() {
        contact
    } else {
        mail_from
    }
}

/// The e-mail of one outbox row. Errors are permanent: the row itself cannot be sent.
pub(crate) fn outgoing(row: &outbox::Model, settings: &Settings) -> Result<OutgoingEmail, MessageError> {
    let mail_from = settings.mail_from.as_str();
    let mut payload: Payload = serde_json::from_str(&row.payload)?;
    open_link(&mut payload, settings);
    let to_email = row.recipient_email.clone().ok_or(MessageError::NoRecipient)?;
    let method = row.ical_method;
    let rendered = render(&payload, &row.recipient_name, method);
    let calendar = match method {
        None => None,
        Some(method) => {
            let uid = row.ical_uid.as_deref().ok_or(MessageError::NoUid)?;
            let event = calendar_event(
                &payload,
                &InviteVersion {
                    uid,
                    sequence: row.ical_sequence.unwrap_or(0),
                    method,
                    dtstamp: row.created_at,
                    organizer_email: contact_address(&payload.organisation_email, mail_from),
                    attendee_name: &row.recipient_name,
                    attendee_email: Some(&to_email),
                },
            );
            Some((method, invite(&event)))
        }
    };
    Ok(OutgoingEmail {
        message_id: row.message_id.clone(),
        from_name: payload.organisation_name.clone(),
        from_email: mail_from.to_string(),
        reply_to: contact_address(&payload.organisation_email, mail_from).to_string(),
        to_name: row.recipient_name.clone(),
        to_email,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        calendar,
    })
}

/// Turns the payload's key into its link (the manage page, or a survey invitation's
/// `/avis/` page) with the server secret, at send time.
pub(crate) fn open_link(payload: &mut Payload, settings: &Settings) {
    if let Some(key) = payload.manage_key.take() {
        let page = match (payload.event, payload.booking) {
            (Event::SurveyInvitation, _) => "avis",
            (_, BookingKind::Registration) => "inscription",
            (_, BookingKind::Appointment) => "rendez-vous",
        };
        let raw = crate::platform::token::manage_token(settings.secret(), &key);
        payload.manage_url = Some(format!("{}/{page}/{raw}", settings.public_url));
    }
}

/// The payload as stored once the message is out: without the manage link, so no usable
/// token stays in the outbox.
pub(crate) fn without_token(payload_json: &str) -> Option<String> {
    let mut payload: Payload = serde_json::from_str(payload_json).ok()?;
    payload.manage_url = None;
    payload.manage_key = None;
    payload.survey_stop_url = None;
    serde_json::to_string(&payload).ok()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn payload() -> Payload {
        Payload::sample()
    }

    fn description(method: CalendarMethod) -> String {
        calendar_event(
            &payload(),
            &InviteVersion {
                uid: "registration-1@arles.example",
                sequence: 0,
                method,
                dtstamp: Utc.with_ymd_and_hms(2027, 1, 1, 8, 0, 0).unwrap(),
                organizer_email: "ne-pas-repondre@arles.example",
                attendee_name: "Zoé",
                attendee_email: Some("zoe@exemple.fr"),
            },
        )
        .description
    }

    #[test]
    fn an_invite_gives_the_code_and_says_that_declining_it_in_the_calendar_does_not_cancel() {
        let d = description(CalendarMethod::Request);
        assert!(d.contains("Code de réservation : K7P-4QX"), "{d}");
        assert!(d.contains("Consulter ou annuler votre inscription"), "{d}");
        assert!(d.contains("n'annule pas"), "{d}");
    }

    #[test]
    fn a_cancellation_does_not_offer_to_cancel_again() {
        let d = description(CalendarMethod::Cancel);
        assert!(d.contains("Annulé."), "{d}");
        assert!(d.contains("Consulter votre inscription : https://"), "{d}");
        assert!(!d.contains("annuler"), "{d}");
    }
}
