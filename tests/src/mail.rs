//! Parsing received e-mails in tests (with `mail-parser`).

use std::collections::BTreeMap;

use mail_parser::{MessageParser, MimeHeaders, PartType};

/// A received e-mail, decoded.
#[derive(Debug, Clone, Default)]
pub struct ParsedMail {
    /// Decoded `Subject`.
    pub subject: Option<String>,
    /// `Message-ID` without angle brackets.
    pub message_id: Option<String>,
    /// `From` as `(display name, address)`.
    pub from: Vec<(Option<String>, String)>,
    /// `To` as `(display name, address)`.
    pub to: Vec<(Option<String>, String)>,
    /// Top-level header fields in order, as `(name, raw unfolded value)`: count them to check
    /// that nothing was injected.
    pub headers: Vec<(String, String)>,
    /// First `text/plain` body that is not an attachment.
    pub text: Option<String>,
    /// First `text/html` body that is not an attachment.
    pub html: Option<String>,
    /// First `text/calendar` part that is not an attachment.
    pub calendar: Option<CalendarPart>,
    /// Every part with a file name or `Content-Disposition: attachment`.
    pub attachments: Vec<MailAttachment>,
}

#[derive(Debug, Clone, Default)]
pub struct CalendarPart {
    /// e.g. `text/calendar`.
    pub content_type: String,
    /// Content-Type parameters, names lower-cased (`method`, `charset`…).
    pub params: BTreeMap<String, String>,
    /// Decoded body (the `.ics` text).
    pub body: String,
}

impl CalendarPart {
    /// The `method` Content-Type parameter.
    pub fn method(&self) -> Option<&str> {
        self.params.get("method").map(String::as_str)
    }
}

#[derive(Debug, Clone, Default)]
pub struct MailAttachment {
    pub filename: Option<String>,
    /// e.g. `application/ics`.
    pub content_type: String,
    pub params: BTreeMap<String, String>,
    /// Decoded content.
    pub data: Vec<u8>,
}

impl MailAttachment {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

impl ParsedMail {
    /// Raw values of every top-level header with that name (case-insensitive).
    pub fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The attachment with that file name.
    pub fn attachment(&self, filename: &str) -> Option<&MailAttachment> {
        self.attachments
            .iter()
            .find(|a| a.filename.as_deref() == Some(filename))
    }
}

/// Parses a message as received by [`crate::smtp_server`]. Panics if it is not a message.
pub fn parse_mail(data: &[u8]) -> ParsedMail {
    let msg = MessageParser::default()
        .parse(data)
        .expect("received data is an RFC 5322 message");

    let addrs = |a: Option<&mail_parser::Address>| -> Vec<(Option<String>, String)> {
        a.map(|a| {
            a.iter()
                .map(|x| (x.name().map(str::to_owned), x.address().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
    };

    let mut parsed = ParsedMail {
        subject: msg.subject().map(str::to_owned),
        message_id: msg.message_id().map(str::to_owned),
        from: addrs(msg.from()),
        to: addrs(msg.to()),
        headers: raw_headers(data),
        ..ParsedMail::default()
    };

    for part in &msg.parts {
        if matches!(part.body, PartType::Multipart(_) | PartType::Message(_)) {
            continue;
        }
        let (ctype, params) = match part.content_type() {
            Some(ct) => (
                format!(
                    "{}/{}",
                    ct.ctype().to_ascii_lowercase(),
                    ct.subtype().unwrap_or_default().to_ascii_lowercase()
                ),
                ct.attributes()
                    .unwrap_or_default()
                    .iter()
                    .map(|a| (a.name.to_ascii_lowercase(), a.value.to_string()))
                    .collect::<BTreeMap<_, _>>(),
            ),
            None => ("text/plain".to_owned(), BTreeMap::new()),
        };
        let is_attachment = part
            .content_disposition()
            .is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"))
            || part.attachment_name().is_some();
        let body_text = || {
            part.text_contents()
                .map(str::to_owned)
                .unwrap_or_else(|| String::from_utf8_lossy(part.contents()).into_owned())
        };
        if is_attachment {
            parsed.attachments.push(MailAttachment {
                filename: part.attachment_name().map(str::to_owned),
                content_type: ctype,
                params,
                data: part.contents().to_vec(),
            });
            continue;
        }
        match ctype.as_str() {
            "text/plain" if parsed.text.is_none() => parsed.text = Some(body_text()),
            "text/html" if parsed.html.is_none() => parsed.html = Some(body_text()),
            "text/calendar" if parsed.calendar.is_none() => {
                parsed.calendar = Some(CalendarPart {
                    content_type: ctype.clone(),
                    params,
                    body: body_text(),
                })
            }
            _ => {}
        }
    }
    parsed
}

/// Top-level header fields (up to the first empty line), unfolded.
fn raw_headers(data: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(data);
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = out.last_mut() {
                v.push(' ');
                v.push_str(line.trim_start());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            out.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    out
}
