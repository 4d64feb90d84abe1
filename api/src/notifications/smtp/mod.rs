//! Delivering composed messages: over SMTP, or into a directory of `.eml` files.
//!
//! # Why not `lettre::AsyncSmtpTransport` for plain SMTP
//!
//! lettre 0.11 never sets `TCP_NODELAY`, and its client writes a message and the `.`
//! terminator in two writes before reading the reply: Nagle's algorithm holds the second
//! write until the first is acknowledged, and the server delays that ACK (~40 ms on Linux).
//! Its pooled transport therefore takes ~44 ms a message even on loopback. We open the
//! `tokio::net::TcpStream` ourselves with `set_nodelay(true)`, hand it to
//! [`AsyncSmtpConnection::connect_with_transport`] and keep our own small pool, which brings
//! a message down to well under a millisecond on loopback.
//!
//! `smtp+starttls://` uses the same path and upgrades the connection with
//! [`AsyncSmtpConnection::starttls`]. `smtps://` (implicit TLS) has to let lettre open the
//! socket ([`AsyncSmtpConnection::connect_tokio1`], as lettre only exposes a TLS wrapper for
//! streams it owns), so it does not get `TCP_NODELAY`; prefer `smtp+starttls://` for a
//! high-volume remote relay.
//!
//! # Pipelining
//!
//! lettre's `send` waits for the reply to each of `MAIL`, `RCPT` and `DATA` before the next,
//! and writes the message and its terminator apart: four round trips and five writes a message.
//! When the server advertises `PIPELINING` (RFC 2920; every common relay does), we write `MAIL`,
//! the `RCPT`s and `DATA` together, read their replies, then write the dot-stuffed message and
//! its terminator at once: two round trips and two writes. lettre does not keep the EHLO keywords
//! it does not know, so a new connection asks `EHLO` once more to learn whether it may. Without
//! `PIPELINING` a connection sends through lettre's `send`.
//!
//! # Errors
//!
//! [`SendError::Permanent`] is only returned for a 5xx reply to the message itself
//! (`MAIL`, `RCPT`, `DATA`) or for a message this client cannot send at all: the outbox
//! should give up on that message. Anything else (connection refused, timeouts, 4xx,
//! TLS or authentication failures while opening the session, i.e. configuration or
//! availability problems that do not depend on the message) is [`SendError::Transient`]
//! and should be retried with backoff.
//!
//! Delivery is at-least-once: a pooled connection that fails for a non-permanent reason is
//! replaced and the message is sent once more on a fresh connection, which may duplicate it
//! if the server had accepted the data but the reply was lost. The stable `Message-ID` lets
//! receiving systems de-duplicate.
//!
//! [`AsyncSmtpConnection::connect_with_transport`]: lettre::transport::smtp::client::AsyncSmtpConnection::connect_with_transport
//! [`AsyncSmtpConnection::starttls`]: lettre::transport::smtp::client::AsyncSmtpConnection::starttls
//! [`AsyncSmtpConnection::connect_tokio1`]: lettre::transport::smtp::client::AsyncSmtpConnection::connect_tokio1
//!
//! # Where each part lives
//!
//! `url` reads the mail URL into a [`Mailer`]; `client` opens SMTP sessions and keeps the
//! pool; `pipelining` writes one message on a session; `files` writes `.eml` files; `error`
//! says which failures are worth retrying.
mod client;
mod error;
mod files;
mod pipelining;
mod url;

use std::fmt;

use anyhow::Context;
use lettre::{Message, address::Envelope};

pub use client::SmtpMailer;
pub use error::SendError;
pub use files::FileMailer;

/// Where notifications go.
#[derive(Clone)]
pub enum Mailer {
    Smtp(SmtpMailer),
    Files(FileMailer),
}

impl Mailer {
    /// Sends a composed message to its envelope (the `From`/`To` headers).
    pub async fn send(&self, msg: &Message) -> Result<(), SendError> {
        self.send_raw(msg.envelope(), &msg.formatted()).await
    }

    /// Sends already formatted bytes (e.g. stored in the outbox) to an explicit envelope.
    pub async fn send_raw(&self, envelope: &Envelope, raw: &[u8]) -> Result<(), SendError> {
        match self {
            Mailer::Smtp(m) => m.send_raw(envelope, raw).await,
            Mailer::Files(m) => m.send_raw(envelope, raw).await.map(|_| ()),
        }
    }

    /// For logs: scheme, host, port, user (never the password), or the directory.
    pub fn describe(&self) -> String {
        match self {
            Mailer::Smtp(m) => m.describe(),
            Mailer::Files(m) => m.describe(),
        }
    }

    /// Politely closes idle SMTP connections (`QUIT`). Optional: dropping is fine too.
    pub async fn close(&self) {
        if let Mailer::Smtp(m) = self {
            m.close().await;
        }
    }
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mailer({})", self.describe())
    }
}

/// Builds an envelope from addresses given as strings (for [`Mailer::send_raw`]).
pub fn envelope(from: &str, to: &[&str]) -> anyhow::Result<Envelope> {
    let from: lettre::Address = from.parse().context("envelope sender")?;
    let to = to
        .iter()
        .map(|t| t.parse::<lettre::Address>().context("envelope recipient"))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Envelope::new(Some(from), to).context("envelope")
}
