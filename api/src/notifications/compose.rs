//! Building the MIME message of a notification e-mail.
//!
//! Structure:
//!
//! * without calendar: `multipart/alternative[text/plain, text/html]`;
//! * with a calendar: `multipart/mixed[multipart/alternative[text/plain, text/html,
//!   text/calendar; method=…; charset=UTF-8], invite.ics (application/ics, attachment)]`.
//!   The inline `text/calendar` alternative is what Gmail and Outlook turn into an
//!   "add to calendar" card (they require the `method` parameter to match the file's
//!   `METHOD`); the attachment serves clients that only offer files (webmail, phones).
//!   (lettre writes the charset value in lower case, `charset=utf-8`: charset names are
//!   case-insensitive, RFC 2045 §5.1.)

use std::fmt;

use email_encoding::headers::writer::EmailWriter;
use lettre::{
    Address, Message,
    address::Envelope,
    message::{
        Attachment, Body, Mailbox, MultiPart, SinglePart,
        header::{ContentType, Header, HeaderName, HeaderValue},
    },
};

use super::ical::CalendarMethod;

/// A notification ready to be turned into a MIME message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    /// Globally unique and stable for a given outbox entry, so that a retried send carries
    /// the same `Message-ID` and receiving systems can de-duplicate it, e.g.
    /// `outbox-42@arles.creneau.example`. Angle brackets are optional: they are added when
    /// missing (see [`message_id_header`]).
    pub message_id: String,
    pub from_name: String,
    pub from_email: String,
    /// Where replies go (the organisation's contact address): `From` is a no-reply address.
    pub reply_to: String,
    pub to_name: String,
    pub to_email: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The iTIP method and the `.ics` text produced by [`super::ical::invite`]. The method
    /// must be the one written in the file.
    pub calendar: Option<(CalendarMethod, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("invalid {field} address {value:?}: {source}")]
    InvalidAddress {
        field: &'static str,
        value: String,
        #[source]
        source: lettre::address::AddressError,
    },
    #[error("invalid message id {0:?}")]
    InvalidMessageId(String),
    #[error("cannot build the message: {0}")]
    Build(#[from] lettre::error::Error),
}

/// Normalises a message id to its header form `<left@right>`: surrounding angle brackets are
/// added if missing, and anything that is not printable ASCII (including spaces and CR/LF)
/// is removed since RFC 5322 `msg-id` cannot contain it.
pub(crate) fn message_id_header(id: &str) -> String {
    let inner: String = id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .chars()
        .filter(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>'))
        .collect();
    format!("<{inner}>")
}

/// Builds the MIME message (with `Message-ID`, `Date`, `From`, `To`, `Subject`,
/// `Auto-Submitted: auto-generated`).
///
/// Display names and the subject have their control characters replaced by spaces before
/// they reach lettre. lettre already RFC 2047-encodes a header word containing CR or LF,
/// so it cannot start a new header line today; stripping them anyway means that a name
/// typed by a resident (`"Zoé\r\nBcc: evil@x"`) can never inject a header whatever the
/// encoder does, and that the recipient sees a clean name instead of an encoded `\r\n`.
/// Addresses are parsed strictly by lettre and rejected if invalid.
pub fn to_message(email: &OutgoingEmail) -> Result<Message, ComposeError> {
    let from = mailbox("from", &email.from_name, &email.from_email)?;
    let to = mailbox("to", &email.to_name, &email.to_email)?;
    let reply_to = mailbox("reply-to", &email.from_name, &email.reply_to)?;
    let message_id = message_id_header(&email.message_id);
    if message_id.len() < 5 || !message_id.contains('@') {
        return Err(ComposeError::InvalidMessageId(email.message_id.clone()));
    }

    let envelope = Envelope::new(Some(from.email.clone()), vec![to.email.clone()])?;
    let builder = Message::builder()
        .message_id(Some(message_id))
        .date_now()
        .header(FromField(from))
        .header(ReplyToField(reply_to))
        .header(ToField(to))
        .envelope(envelope)
        .subject(clean_header_text(&email.subject))
        .header(AutoSubmitted);

    let mut alternative = MultiPart::alternative()
        .singlepart(SinglePart::plain(email.text.clone()))
        .singlepart(SinglePart::html(email.html.clone()));

    let message = match &email.calendar {
        None => builder.multipart(alternative)?,
        Some((method, ics)) => {
            // Encoded once for both parts: they carry the same text.
            let ics = Body::new(ics.clone());
            alternative = alternative.singlepart(
                SinglePart::builder()
                    .header(calendar_content_type(*method))
                    .body(ics.clone()),
            );
            let attachment = Attachment::new("invite.ics".to_owned()).body(ics, ics_attachment_content_type());
            builder.multipart(MultiPart::mixed().multipart(alternative).singlepart(attachment))?
        }
    };
    Ok(message)
}

fn calendar_content_type(method: CalendarMethod) -> ContentType {
    ContentType::parse(&format!("text/calendar; method={}; charset=UTF-8", method.as_str()))
        .expect("static content type is valid")
}

fn ics_attachment_content_type() -> ContentType {
    ContentType::parse("application/ics; name=\"invite.ics\"").expect("static content type is valid")
}

fn mailbox(field: &'static str, name: &str, email: &str) -> Result<Mailbox, ComposeError> {
    let address: Address = email.trim().parse().map_err(|source| ComposeError::InvalidAddress {
        field,
        value: email.to_owned(),
        source,
    })?;
    let name = clean_header_text(name);
    Ok(Mailbox::new(if name.is_empty() { None } else { Some(name) }, address))
}

/// The address fields, written by us: lettre RFC 2047-encodes every ASCII name holding a
/// character outside a short list (`Ville d'Arles`, `Dupont, Jean`), which spam filters
/// score and RFC 5322 does not ask for. Here a plain ASCII name is a quoted string, and only
/// a name with non-ASCII letters (or an `=?` that a reader could take for an encoded word)
/// is RFC 2047-encoded.
macro_rules! address_field {
    ($type_name:ident, $header_name:expr) => {
        #[derive(Clone)]
        struct $type_name(Mailbox);

        impl Header for $type_name {
            fn name() -> HeaderName {
                HeaderName::new_from_ascii_str($header_name)
            }

            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok(Self(s.parse()?))
            }

            fn display(&self) -> HeaderValue {
                HeaderValue::dangerous_new_pre_encoded(
                    Self::name(),
                    self.0.to_string(),
                    encode_mailbox($header_name, &self.0),
                )
            }
        }
    };
}

address_field!(FromField, "From");
address_field!(ToField, "To");
address_field!(ReplyToField, "Reply-To");

/// `name <address>` as it goes on the wire (names are already free of control characters).
pub(crate) fn encode_mailbox(header_name: &str, mailbox: &Mailbox) -> String {
    let mut out = String::new();
    {
        let mut w = EmailWriter::new(&mut out, header_name.len() + 2, 0, false);
        // Writing into a String cannot fail.
        let _ = write_mailbox(&mut w, mailbox);
    }
    out
}

fn write_mailbox(w: &mut EmailWriter<'_>, mailbox: &Mailbox) -> fmt::Result {
    use std::fmt::Write;
    let Some(name) = mailbox.name.as_deref().filter(|n| !n.is_empty()) else {
        return w.write_str(mailbox.email.as_ref());
    };
    if name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        w.write_str(name)?;
    } else if name.is_ascii() && !name.contains("=?") {
        w.write_char('"')?;
        {
            // The folding writer borrows `w` until the closing quote.
            let mut quoted = w.folding();
            for c in name.chars() {
                if matches!(c, '"' | '\\') {
                    quoted.write_char('\\')?;
                }
                quoted.write_char(c)?;
            }
        }
        w.write_char('"')?;
    } else {
        email_encoding::headers::rfc2047::encode(name, w)?;
    }
    w.space();
    w.write_char('<')?;
    w.write_str(mailbox.email.as_ref())?;
    w.write_char('>')
}

/// Replaces control characters (CR, LF, TAB, NUL, …) by spaces, collapses runs of
/// whitespace and trims: see [`to_message`] for why.
fn clean_header_text(s: &str) -> String {
    s.split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `Auto-Submitted: auto-generated` (RFC 3834): tells vacation responders and mailing
/// lists not to answer our notifications.
#[derive(Debug, Clone, Copy)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

impl fmt::Display for OutgoingEmail {
    /// A one-line description for logs (no body, no names).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} to {}{}",
            message_id_header(&self.message_id),
            self.to_email,
            match &self.calendar {
                Some((m, _)) => format!(" with {m} invite"),
                None => String::new(),
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> OutgoingEmail {
        OutgoingEmail {
            message_id: "outbox-42@arles.creneau.example".into(),
            from_name: "Ville d'Arles – Créneau".into(),
            from_email: "ne-pas-repondre@arles.creneau.example".into(),
            reply_to: "mediation@arles.example".into(),
            to_name: "Zoé Lefèvre".into(),
            to_email: "zoe@example.fr".into(),
            subject: "Votre réservation : atelier « Premiers pas »".into(),
            text: "Bonjour Zoé,\nvotre place est réservée.".into(),
            html: "<p>Bonjour Zoé,</p><p>votre place est réservée.</p>".into(),
            calendar: Some((
                CalendarMethod::Request,
                "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n".into(),
            )),
        }
    }

    fn header_lines(formatted: &str) -> Vec<&str> {
        let head = formatted.split("\r\n\r\n").next().unwrap();
        head.split("\r\n").collect()
    }

    #[test]
    fn header_injection_through_names_and_subject_is_impossible() {
        let mut email = sample();
        email.to_name = "Zoé\r\nBcc: evil@x".into();
        email.from_name = "Mairie\nBcc: evil@x".into();
        email.subject = "Rappel\r\nBcc: evil@x\r\nSubject: autre".into();
        let msg = to_message(&email).unwrap();
        let formatted = String::from_utf8(msg.formatted()).unwrap();
        let lines = header_lines(&formatted);
        let count = |name: &str| {
            lines
                .iter()
                .filter(|l| l.to_ascii_lowercase().starts_with(&name.to_ascii_lowercase()))
                .count()
        };
        assert_eq!(count("Subject:"), 1, "{formatted}");
        assert_eq!(count("Bcc:"), 0, "{formatted}");
        assert_eq!(count("To:"), 1);
        assert_eq!(count("From:"), 1);
        // Only the one real recipient in the envelope.
        let to: Vec<String> = msg.envelope().to().iter().map(|a| a.to_string()).collect();
        assert_eq!(to, vec!["zoe@example.fr".to_owned()]);
        assert!(!formatted.to_ascii_lowercase().contains("\r\nbcc:"));
    }

    #[test]
    fn an_ascii_display_name_is_a_quoted_string_and_an_accented_one_an_encoded_word() {
        let mut email = sample();
        email.from_name = "Ville d'Arles".into();
        email.to_name = r#"Dupont, Jean "Jo" \ fils"#.into();
        let formatted = String::from_utf8(to_message(&email).unwrap().formatted()).unwrap();
        assert!(
            formatted.contains("From: \"Ville d'Arles\" <ne-pas-repondre@arles.creneau.example>\r\n"),
            "{formatted}"
        );
        assert!(
            formatted.contains(r#"To: "Dupont, Jean \"Jo\" \\ fils" <zoe@example.fr>"#),
            "{formatted}"
        );
        assert!(formatted.contains("Reply-To: \"Ville d'Arles\" <mediation@arles.example>\r\n"));

        email.to_name = "Zoé".into();
        let formatted = String::from_utf8(to_message(&email).unwrap().formatted()).unwrap();
        assert!(
            formatted.contains("To: =?utf-8?b?Wm/DqQ==?= <zoe@example.fr>\r\n"),
            "{formatted}"
        );
        email.to_name = "Camille".into();
        let formatted = String::from_utf8(to_message(&email).unwrap().formatted()).unwrap();
        assert!(formatted.contains("To: Camille <zoe@example.fr>\r\n"), "{formatted}");
    }

    #[test]
    fn calendar_part_has_method_parameter_and_attachment() {
        let msg = to_message(&sample()).unwrap();
        let formatted = String::from_utf8(msg.formatted()).unwrap();
        assert!(formatted.contains("Content-Type: multipart/mixed;"), "{formatted}");
        assert!(formatted.contains("Content-Type: multipart/alternative;"));
        assert!(
            formatted
                .to_ascii_lowercase()
                .contains("content-type: text/calendar; method=request; charset=utf-8"),
            "{formatted}"
        );
        assert!(formatted.contains("Content-Disposition: attachment; filename=\"invite.ics\""));
        assert!(formatted.contains("Content-Type: application/ics"));
        assert!(formatted.contains("Message-ID: <outbox-42@arles.creneau.example>\r\n"));
        assert!(formatted.contains("\r\nDate: "));
        assert!(formatted.contains("Auto-Submitted: auto-generated\r\n"));
        assert!(formatted.contains("Content-Type: text/plain; charset=utf-8"));
        assert!(formatted.contains("Content-Type: text/html; charset=utf-8"));
    }

    #[test]
    fn cancel_method_is_propagated() {
        let mut email = sample();
        email.calendar = Some((CalendarMethod::Cancel, "BEGIN:VCALENDAR\r\n".into()));
        let formatted = String::from_utf8(to_message(&email).unwrap().formatted()).unwrap();
        assert!(formatted.contains("text/calendar; method=CANCEL; charset="));
    }

    #[test]
    fn without_calendar_is_plain_alternative() {
        let mut email = sample();
        email.calendar = None;
        let formatted = String::from_utf8(to_message(&email).unwrap().formatted()).unwrap();
        let head = header_lines(&formatted);
        assert!(
            head.iter()
                .any(|l| l.starts_with("Content-Type: multipart/alternative;")),
            "{formatted}"
        );
        assert!(!formatted.contains("multipart/mixed"));
        assert!(!formatted.contains("text/calendar"));
        assert!(!formatted.contains("invite.ics"));
    }

    #[test]
    fn message_id_is_normalised_and_stable() {
        assert_eq!(message_id_header("a@b"), "<a@b>");
        assert_eq!(message_id_header("<a@b>"), "<a@b>");
        assert_eq!(message_id_header(" <a@b\r\n> "), "<a@b>");
        let mut email = sample();
        email.message_id = "<outbox-42@arles.creneau.example>".into();
        let a = String::from_utf8(to_message(&email).unwrap().formatted()).unwrap();
        assert!(a.contains("Message-ID: <outbox-42@arles.creneau.example>\r\n"));
        email.message_id = "\r\n".into();
        assert!(matches!(to_message(&email), Err(ComposeError::InvalidMessageId(_))));
    }

    #[test]
    fn invalid_address_is_rejected() {
        let mut email = sample();
        email.to_email = "zoe@example.fr\r\nBcc: evil@x".into();
        assert!(matches!(
            to_message(&email),
            Err(ComposeError::InvalidAddress { field: "to", .. })
        ));
    }
}
