//! SMTP sessions over `TCP_NODELAY` sockets (STARTTLS or implicit TLS when asked), kept in a
//! small pool, and one message sent on a session with a second try on a fresh one.
use std::{
    net::IpAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::Context;
use lettre::{
    address::Envelope,
    transport::smtp::{
        authentication::{Credentials, Mechanism},
        client::{AsyncSmtpConnection, TlsParameters},
        commands::Ehlo,
        extension::ClientId,
    },
};

use super::{SendError, pipelining::send_pipelined};

pub(super) const DEFAULT_POOL_SIZE: usize = 4;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// An idle connection older than this is checked with `NOOP` before reuse.
const IDLE_CHECK_AFTER: Duration = Duration::from_secs(15);
/// An idle connection older than this is dropped (servers time idle sessions out).
const IDLE_MAX: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Security {
    Plain,
    StartTls,
    ImplicitTls,
}

pub(super) struct SmtpConfig {
    pub(super) host: String,
    pub(super) port: u16,
    pub(super) security: Security,
    pub(super) credentials: Option<(String, String)>,
    pub(super) pool_size: usize,
    pub(super) hello: Option<String>,
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

impl SmtpMailer {
    pub(super) fn new(cfg: SmtpConfig) -> anyhow::Result<Self> {
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::{Mailer, envelope};

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
