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

use std::{
    fmt,
    net::IpAddr,
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use lettre::{
    Message,
    address::Envelope,
    transport::smtp::{
        authentication::{Credentials, Mechanism},
        client::{AsyncSmtpConnection, TlsParameters},
        commands::{Data, Ehlo, Mail, Rcpt},
        extension::{ClientId, Extension, MailBodyParameter, MailParameter},
    },
};

const DEFAULT_POOL_SIZE: usize = 4;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// An idle connection older than this is checked with `NOOP` before reuse.
const IDLE_CHECK_AFTER: Duration = Duration::from_secs(15);
/// An idle connection older than this is dropped (servers time idle sessions out).
const IDLE_MAX: Duration = Duration::from_secs(120);

/// Where notifications go.
#[derive(Clone)]
pub enum Mailer {
    Smtp(SmtpMailer),
    Files(FileMailer),
}

/// Why a message was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Try again later (server down, 4xx, network, timeout, configuration).
    #[error("transient mail error{}: {message}", fmt_code(*.code))]
    Transient { code: Option<u16>, message: String },
    /// Retrying will not help (5xx to the message, unsendable message).
    #[error("permanent mail error{}: {message}", fmt_code(*.code))]
    Permanent { code: Option<u16>, message: String },
}

fn fmt_code(code: Option<u16>) -> String {
    code.map(|c| format!(" {c}")).unwrap_or_default()
}

impl SendError {
    pub fn is_transient(&self) -> bool {
        matches!(self, SendError::Transient { .. })
    }

    pub fn is_permanent(&self) -> bool {
        matches!(self, SendError::Permanent { .. })
    }

    /// The SMTP reply code, when the server answered.
    pub fn code(&self) -> Option<u16> {
        match self {
            SendError::Transient { code, .. } | SendError::Permanent { code, .. } => *code,
        }
    }

    fn transient(message: impl Into<String>) -> Self {
        SendError::Transient {
            code: None,
            message: message.into(),
        }
    }

    /// Classifies an error while sending the message itself.
    fn from_message_phase(err: &lettre::transport::smtp::Error) -> Self {
        let code = err.status().map(u16::from);
        let message = err.to_string();
        if err.is_permanent() || err.is_client() {
            SendError::Permanent { code, message }
        } else {
            SendError::Transient { code, message }
        }
    }

    /// Errors while opening a session (greeting, EHLO, STARTTLS, AUTH) do not depend on
    /// the message: always transient.
    fn from_session_phase(err: &lettre::transport::smtp::Error) -> Self {
        SendError::Transient {
            code: err.status().map(u16::from),
            message: format!("cannot open SMTP session: {err}"),
        }
    }
}

impl Mailer {
    /// `None` (or an empty string) writes `.eml` files into `files_dir`. Otherwise:
    ///
    /// * `smtp://[user:pass@]host[:25]`: plain SMTP, no TLS (loopback or trusted relay);
    /// * `smtp+starttls://[user:pass@]host[:587]`: STARTTLS, required;
    /// * `smtps://[user:pass@]host[:465]`: implicit TLS;
    /// * `file:///some/dir`: `.eml` files in that directory.
    ///
    /// Query parameters: `pool=N` idle connections kept (default 4), `hello=name` for EHLO
    /// (default: this host's name). User and password are percent-decoded.
    pub fn from_url(url: Option<&str>, files_dir: &Path) -> anyhow::Result<Mailer> {
        let url = match url.map(str::trim) {
            None | Some("") => return Ok(Mailer::Files(FileMailer::new(files_dir))),
            Some(u) => u,
        };
        let parsed = url::Url::parse(url).with_context(|| "invalid mail URL (see Mailer::from_url)")?;
        let security = match parsed.scheme() {
            "file" => {
                let path = parsed
                    .to_file_path()
                    .map_err(|()| anyhow::anyhow!("invalid file mail URL"))?;
                return Ok(Mailer::Files(FileMailer::new(&path)));
            }
            "smtp" => Security::Plain,
            "smtp+starttls" => Security::StartTls,
            "smtps" => Security::ImplicitTls,
            other => {
                bail!("unsupported mail URL scheme {other:?} (smtp, smtp+starttls, smtps, file)")
            }
        };
        let host = match parsed.host() {
            Some(url::Host::Domain(d)) => d.to_owned(),
            Some(url::Host::Ipv4(a)) => a.to_string(),
            Some(url::Host::Ipv6(a)) => a.to_string(),
            None => bail!("mail URL has no host"),
        };
        let port = parsed.port().unwrap_or(match security {
            Security::Plain => 25,
            Security::StartTls => 587,
            Security::ImplicitTls => 465,
        });
        let credentials = if parsed.username().is_empty() {
            None
        } else {
            let user = percent_decode(parsed.username())?;
            let pass = percent_decode(parsed.password().unwrap_or(""))?;
            Some((user, pass))
        };
        let mut pool_size = DEFAULT_POOL_SIZE;
        let mut hello = None;
        for (k, v) in parsed.query_pairs() {
            match &*k {
                "pool" => pool_size = v.parse().with_context(|| format!("invalid pool size {v:?}"))?,
                "hello" => hello = Some(v.into_owned()),
                other => bail!("unknown mail URL parameter {other:?} (pool, hello)"),
            }
        }
        Ok(Mailer::Smtp(SmtpMailer::new(SmtpConfig {
            host,
            port,
            security,
            credentials,
            pool_size,
            hello,
        })?))
    }

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

fn percent_decode(s: &str) -> anyhow::Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| anyhow::anyhow!("invalid percent-encoding in mail URL"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).context("mail URL credentials are not UTF-8")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    Plain,
    StartTls,
    ImplicitTls,
}

struct SmtpConfig {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<(String, String)>,
    pool_size: usize,
    hello: Option<String>,
}

/// SMTP with a pool of `TCP_NODELAY` connections. Cheap to clone (shared pool).
#[derive(Clone)]
pub struct SmtpMailer {
    inner: Arc<SmtpInner>,
}

struct SmtpInner {
    host: String,
    port: u16,
    security: Security,
    user: Option<String>,
    credentials: Option<Credentials>,
    tls: Option<TlsParameters>,
    hello: ClientId,
    pool_size: usize,
    idle: Mutex<Vec<IdleConnection>>,
}

struct IdleConnection {
    conn: Session,
    since: Instant,
}

/// An open SMTP session and what its server allows.
struct Session {
    conn: AsyncSmtpConnection,
    /// The server advertised `PIPELINING`.
    pipelining: bool,
}

/// A command line written as it is (several pipelined commands, or the message data).
struct Raw<'a>(&'a str);

impl fmt::Display for Raw<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl SmtpMailer {
    fn new(cfg: SmtpConfig) -> anyhow::Result<Self> {
        let tls = match cfg.security {
            Security::Plain => None,
            Security::StartTls | Security::ImplicitTls => {
                Some(TlsParameters::new(cfg.host.clone()).with_context(|| format!("TLS parameters for {}", cfg.host))?)
            }
        };
        let hello = match cfg.hello {
            Some(h) => match h.parse::<IpAddr>() {
                Ok(IpAddr::V4(a)) => ClientId::Ipv4(a),
                Ok(IpAddr::V6(a)) => ClientId::Ipv6(a),
                Err(_) => ClientId::Domain(h),
            },
            None => ClientId::default(),
        };
        Ok(SmtpMailer {
            inner: Arc::new(SmtpInner {
                host: cfg.host,
                port: cfg.port,
                security: cfg.security,
                user: cfg.credentials.as_ref().map(|(u, _)| u.clone()),
                credentials: cfg.credentials.map(|(u, p)| Credentials::new(u, p)),
                tls,
                hello,
                pool_size: cfg.pool_size,
                idle: Mutex::new(Vec::new()),
            }),
        })
    }

    pub(crate) fn describe(&self) -> String {
        let i = &self.inner;
        let scheme = match i.security {
            Security::Plain => "smtp",
            Security::StartTls => "smtp+starttls",
            Security::ImplicitTls => "smtps",
        };
        let user = i.user.as_ref().map(|u| format!("{u}:***@")).unwrap_or_default();
        let host = if i.host.contains(':') {
            format!("[{}]", i.host)
        } else {
            i.host.clone()
        };
        format!("{scheme}://{user}{host}:{} (pool {})", i.port, i.pool_size)
    }

    pub async fn send_raw(&self, envelope: &Envelope, raw: &[u8]) -> Result<(), SendError> {
        if let Some(conn) = self.checkout().await {
            match self.send_on(conn, envelope, raw).await {
                Ok(()) => return Ok(()),
                Err(e) if e.is_permanent() => return Err(e),
                // A stale pooled connection (closed by the server, 421 on shutdown…):
                // try once more on a fresh one.
                Err(_) => {}
            }
        }
        let conn = self.connect().await?;
        self.send_on(conn, envelope, raw).await
    }

    async fn send_on(&self, mut session: Session, envelope: &Envelope, raw: &[u8]) -> Result<(), SendError> {
        let sent = if session.pipelining {
            tokio::time::timeout(SEND_TIMEOUT, send_pipelined(&mut session.conn, envelope, raw)).await
        } else {
            tokio::time::timeout(SEND_TIMEOUT, session.conn.send(envelope, raw))
                .await
                .map(|r| r.map(|_| ()))
        };
        match sent {
            Ok(Ok(())) => {
                self.checkin(session);
                Ok(())
            }
            // The connection is not reused after an error (lettre's own `send` has already
            // aborted it; after a pipelined exchange, replies may be left unread).
            Ok(Err(e)) => {
                if session.pipelining {
                    let _ = tokio::time::timeout(Duration::from_secs(5), session.conn.abort()).await;
                }
                Err(SendError::from_message_phase(&e))
            }
            Err(_) => Err(SendError::transient(format!(
                "no reply from SMTP server within {SEND_TIMEOUT:?}"
            ))),
        }
    }

    async fn checkout(&self) -> Option<Session> {
        loop {
            let idle = self.inner.idle.lock().expect("mail pool lock").pop()?;
            let age = idle.since.elapsed();
            if age > IDLE_MAX {
                continue;
            }
            let mut session = idle.conn;
            if age > IDLE_CHECK_AFTER {
                let alive = tokio::time::timeout(Duration::from_secs(5), session.conn.test_connected())
                    .await
                    .unwrap_or(false);
                if !alive {
                    continue;
                }
            }
            return Some(session);
        }
    }

    fn checkin(&self, session: Session) {
        if session.conn.has_broken() {
            return;
        }
        let mut idle = self.inner.idle.lock().expect("mail pool lock");
        // Connections unused for too long (at the bottom of the LIFO) are dropped.
        idle.retain(|c| c.since.elapsed() < IDLE_MAX);
        if idle.len() < self.inner.pool_size {
            idle.push(IdleConnection {
                conn: session,
                since: Instant::now(),
            });
        } else {
            drop(idle);
            tokio::spawn(async move {
                let mut session = session;
                let _ = tokio::time::timeout(Duration::from_secs(5), session.conn.quit()).await;
            });
        }
    }

    async fn connect(&self) -> Result<Session, SendError> {
        let i = &self.inner;
        let mut conn = match i.security {
            Security::Plain | Security::StartTls => {
                let stream = tokio::time::timeout(
                    CONNECT_TIMEOUT,
                    tokio::net::TcpStream::connect((i.host.as_str(), i.port)),
                )
                .await
                .map_err(|_| SendError::transient(format!("connecting to {}:{} timed out", i.host, i.port)))?
                .map_err(|e| SendError::transient(format!("cannot connect to {}:{}: {e}", i.host, i.port)))?;
                stream
                    .set_nodelay(true)
                    .map_err(|e| SendError::transient(format!("set_nodelay: {e}")))?;
                let mut conn = tokio::time::timeout(
                    SEND_TIMEOUT,
                    AsyncSmtpConnection::connect_with_transport(Box::new(stream), &i.hello),
                )
                .await
                .map_err(|_| SendError::transient("no SMTP greeting"))?
                .map_err(|e| SendError::from_session_phase(&e))?;
                if i.security == Security::StartTls {
                    let tls = i.tls.clone().expect("TLS parameters for STARTTLS");
                    tokio::time::timeout(SEND_TIMEOUT, conn.starttls(tls, &i.hello))
                        .await
                        .map_err(|_| SendError::transient("STARTTLS timed out"))?
                        .map_err(|e| SendError::from_session_phase(&e))?;
                }
                conn
            }
            Security::ImplicitTls => tokio::time::timeout(
                SEND_TIMEOUT,
                AsyncSmtpConnection::connect_tokio1(
                    (i.host.as_str(), i.port),
                    Some(CONNECT_TIMEOUT),
                    &i.hello,
                    i.tls.clone(),
                    None,
                ),
            )
            .await
            .map_err(|_| SendError::transient("SMTPS session timed out"))?
            .map_err(|e| SendError::from_session_phase(&e))?,
        };
        // lettre keeps only the EHLO keywords it knows, PIPELINING is not one of them: ask again
        // (before AUTH, which a new EHLO could reset on some servers).
        let ehlo = tokio::time::timeout(SEND_TIMEOUT, conn.command(Ehlo::new(i.hello.clone())))
            .await
            .map_err(|_| SendError::transient("EHLO timed out"))?
            .map_err(|e| SendError::from_session_phase(&e))?;
        let pipelining = ehlo.message().any(|line| {
            line.split_whitespace()
                .next()
                .is_some_and(|k| k.eq_ignore_ascii_case("PIPELINING"))
        });
        if let Some(credentials) = &i.credentials {
            tokio::time::timeout(
                SEND_TIMEOUT,
                conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials),
            )
            .await
            .map_err(|_| SendError::transient("SMTP AUTH timed out"))?
            .map_err(|e| SendError::from_session_phase(&e))?;
        }
        Ok(Session { conn, pipelining })
    }

    pub(crate) async fn close(&self) {
        let idle: Vec<_> = std::mem::take(&mut *self.inner.idle.lock().expect("mail pool lock"));
        for mut c in idle {
            let _ = tokio::time::timeout(Duration::from_secs(5), c.conn.conn.quit()).await;
        }
    }
}

/// One message with `MAIL`, `RCPT`s and `DATA` written together (RFC 2920), then the data and
/// its terminator together, with the same `MAIL` parameters as lettre's `send` (a message that
/// needs an extension the server lacks goes through lettre's `send`, which refuses it). On an
/// error the connection must not be reused: later replies of the group may be unread.
async fn send_pipelined(
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

/// Writes each message as `<dir>/<UTC timestamp>-<message id>.eml` (development, tests,
/// or a pickup directory). Files are written under a temporary name and renamed, so a
/// watcher never sees a partial file.
#[derive(Debug, Clone)]
pub struct FileMailer {
    dir: PathBuf,
}

static FILE_COUNTER: AtomicU64 = AtomicU64::new(0);

impl FileMailer {
    pub(crate) fn new(dir: &Path) -> Self {
        FileMailer { dir: dir.to_owned() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn describe(&self) -> String {
        format!("files in {}", self.dir.display())
    }

    /// Returns the path written.
    pub async fn send_raw(&self, _envelope: &Envelope, raw: &[u8]) -> Result<PathBuf, SendError> {
        let io = |what: &str, e: std::io::Error| SendError::transient(format!("{what} in {}: {e}", self.dir.display()));
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| io("cannot create mail directory", e))?;
        let id = header_value(raw, "Message-ID")
            .map(|v| sanitise_file_part(&v))
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| format!("no-id-{}", FILE_COUNTER.fetch_add(1, Ordering::Relaxed)));
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
        let name = format!("{stamp}-{id}.eml");
        let path = self.dir.join(&name);
        let tmp = self
            .dir
            .join(format!(".{name}.{}.tmp", FILE_COUNTER.fetch_add(1, Ordering::Relaxed)));
        tokio::fs::write(&tmp, raw)
            .await
            .map_err(|e| io("cannot write message", e))?;
        tokio::fs::rename(&tmp, &path)
            .await
            .map_err(|e| io("cannot rename message", e))?;
        Ok(path)
    }
}

/// First value of a top-level header in a raw message (unfolded), if any.
fn header_value(raw: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let head = text
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .split("\n\n")
        .next()
        .unwrap_or_default();
    let mut value: Option<String> = None;
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(v) = value.as_mut() {
                v.push_str(line);
            }
            continue;
        }
        if value.is_some() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.trim().eq_ignore_ascii_case(name)
        {
            value = Some(v.trim().to_owned());
        }
    }
    value.map(|v| v.trim().to_owned())
}

/// Keeps `[A-Za-z0-9._@-]`, replaces anything else by `_`, strips `<>`, caps the length.
fn sanitise_file_part(s: &str) -> String {
    s.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect::<String>()
        .trim_start_matches('.')
        .to_owned()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls_and_hides_passwords() {
        let dir = Path::new("/tmp/creneau-mail");
        let m = Mailer::from_url(None, dir).unwrap();
        assert!(matches!(m, Mailer::Files(_)));
        assert_eq!(m.describe(), "files in /tmp/creneau-mail");
        assert!(matches!(Mailer::from_url(Some(""), dir).unwrap(), Mailer::Files(_)));

        let m = Mailer::from_url(Some("smtp://127.0.0.1:2525"), dir).unwrap();
        assert_eq!(m.describe(), "smtp://127.0.0.1:2525 (pool 4)");
        let m = Mailer::from_url(Some("smtp://relay.local"), dir).unwrap();
        assert_eq!(m.describe(), "smtp://relay.local:25 (pool 4)");
        let m = Mailer::from_url(Some("smtp://u%40x:p%3Ass@[::1]:2525?pool=8"), dir).unwrap();
        assert_eq!(m.describe(), "smtp://u@x:***@[::1]:2525 (pool 8)");
        let m = Mailer::from_url(Some("smtps://me:secret@mail.example.org"), dir).unwrap();
        assert_eq!(m.describe(), "smtps://me:***@mail.example.org:465 (pool 4)");
        assert!(!format!("{m:?}").contains("secret"));
        let m = Mailer::from_url(Some("smtp+starttls://me:secret@mail.example.org"), dir).unwrap();
        assert_eq!(m.describe(), "smtp+starttls://me:***@mail.example.org:587 (pool 4)");
        let m = Mailer::from_url(Some("file:///var/spool/creneau"), dir).unwrap();
        assert_eq!(m.describe(), "files in /var/spool/creneau");

        assert!(Mailer::from_url(Some("http://x"), dir).is_err());
        assert!(Mailer::from_url(Some("smtp://x?foo=1"), dir).is_err());
        assert!(Mailer::from_url(Some("not a url"), dir).is_err());
    }

    #[test]
    fn header_value_and_file_names() {
        let raw = b"From: a@b\r\nMessage-ID:\r\n <outbox-1@x.example>\r\nSubject: s\r\n\r\nMessage-ID: body";
        assert_eq!(header_value(raw, "message-id").as_deref(), Some("<outbox-1@x.example>"));
        assert_eq!(header_value(raw, "Date"), None);
        assert_eq!(sanitise_file_part("<outbox-1@x.example>"), "outbox-1@x.example");
        assert_eq!(sanitise_file_part("<../../etc/passwd>"), "_.._etc_passwd");
    }

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

    #[tokio::test]
    async fn file_mailer_writes_eml() {
        let dir = std::env::temp_dir().join(format!(
            "creneau-filemailer-{}-{}",
            std::process::id(),
            FILE_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let m = FileMailer::new(&dir);
        let env = envelope("a@example.org", &["b@example.org"]).unwrap();
        let raw = b"Message-ID: <outbox-7@arles.creneau.example>\r\nSubject: x\r\n\r\nbody\r\n";
        let path = m.send_raw(&env, raw).await.unwrap();
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(name.ends_with("-outbox-7@arles.creneau.example.eml"), "{name}");
        assert_eq!(std::fs::read(&path).unwrap(), raw);
        let entries = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(entries, 1, "no temporary file left");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn refused_connection_is_transient() {
        // Bind then drop a listener to get a port nobody listens on.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let m = Mailer::from_url(Some(&format!("smtp://127.0.0.1:{port}")), Path::new("/tmp")).unwrap();
        let env = envelope("a@example.org", &["b@example.org"]).unwrap();
        let err = m.send_raw(&env, b"Subject: x\r\n\r\nx\r\n").await.unwrap_err();
        assert!(err.is_transient(), "{err}");
        assert_eq!(err.code(), None);
    }
}
