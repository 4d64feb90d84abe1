//! One message on an open session with `PIPELINING` (RFC 2920): the envelope commands in one
//! write, then the dot-stuffed data and its terminator in another.
use std::fmt;

use lettre::{
    address::Envelope,
    transport::smtp::{
        client::AsyncSmtpConnection,
        commands::{Data, Mail, Rcpt},
        extension::{Extension, MailBodyParameter, MailParameter},
    },
};

/// A command line written as it is (several pipelined commands, or the message data).
struct Raw<'a>(&'a str);

impl fmt::Display for Raw<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// One message with `MAIL`, `RCPT`s and `DATA` written together (RFC 2920), then the data and
/// its terminator together, with the same `MAIL` parameters as lettre's `send` (a message that
/// needs an extension the server lacks goes through lettre's `send`, which refuses it). On an
/// error the connection must not be reused: later replies of the group may be unread.
pub(super) async fn send_pipelined(
    conn: &mut AsyncSmtpConnection,
    envelope: &Envelope,
    raw: &[u8],
) -> Result<(), lettre::transport::smtp::Error> {
    let mut options = Vec::new();
    let ascii = |a: &lettre::Address| AsRef::<str>::as_ref(a).is_ascii();
    let non_ascii_addresses = envelope.from().is_some_and(|a| !ascii(a)) || envelope.to().iter().any(|a| !ascii(a));
    if non_ascii_addresses {
        if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
            return conn.send(envelope, raw).await.map(|_| ());
        }
        options.push(MailParameter::SmtpUtfEight);
    }
    if !raw.is_ascii() {
        if !conn.server_info().supports_feature(Extension::EightBitMime) {
            return conn.send(envelope, raw).await.map(|_| ());
        }
        options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    let Ok(text) = std::str::from_utf8(raw) else {
        return conn.send(envelope, raw).await.map(|_| ());
    };
    let mut commands = Mail::new(envelope.from().cloned(), options).to_string();
    for to in envelope.to() {
        commands.push_str(&Rcpt::new(to.clone(), vec![]).to_string());
    }
    commands.push_str(&Data.to_string());
    // The replies come in order: MAIL, each RCPT, DATA (354). The first negative one is the error.
    conn.command(Raw(&commands)).await?;
    for _ in envelope.to() {
        conn.read_response().await?;
    }
    conn.read_response().await?;
    conn.command(DotStuffed(text)).await?;
    Ok(())
}

/// The message as sent after `DATA`: a `.` doubled at the start of each line, then the
/// terminator (`CRLF . CRLF`, as lettre writes it). Written while formatting, so the message
/// is copied once on its way to the socket.
struct DotStuffed<'a>(&'a str);

impl fmt::Display for DotStuffed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while !rest.is_empty() {
            if rest.starts_with('.') {
                f.write_str(".")?;
            }
            // Up to and with the next LF; a line starts again only after CRLF (a bare LF or
            // CR does not end a line on the wire).
            let mut end = 0;
            loop {
                match rest[end..].find('\n') {
                    Some(i) => {
                        end += i + 1;
                        if end >= 2 && rest.as_bytes()[end - 2] == b'\r' {
                            break;
                        }
                    }
                    None => {
                        end = rest.len();
                        break;
                    }
                }
            }
            f.write_str(&rest[..end])?;
            rest = &rest[end..];
        }
        f.write_str("\r\n.\r\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot_stuffed(text: &str) -> String {
        DotStuffed(text).to_string()
    }

    #[test]
    fn dot_stuffing_doubles_a_dot_only_at_the_start_of_a_line_and_ends_with_the_terminator() {
        assert_eq!(
            dot_stuffed("a\r\n.b\r\n..c\r\nd.e\r\n"),
            "a\r\n..b\r\n...c\r\nd.e\r\n\r\n.\r\n"
        );
        assert_eq!(dot_stuffed(".x"), "..x\r\n.\r\n");
        // A bare LF or CR does not end a line on the wire.
        assert_eq!(dot_stuffed("a\n.b\r.c"), "a\n.b\r.c\r\n.\r\n");
    }
}
