//! A real, minimal SMTP server (RFC 5321) for tests, on 127.0.0.1 with an ephemeral port.
//!
//! Supports the greeting, `EHLO`/`HELO` (advertising `8BITMIME`, `SMTPUTF8`, `PIPELINING`,
//! `SIZE`, `AUTH PLAIN LOGIN` — any credentials are accepted), `MAIL FROM`, `RCPT TO`,
//! `DATA` with dot-unstuffing, `RSET`, `NOOP`, `VRFY`, `QUIT`. Pipelined commands work since
//! the session reads one line at a time from a buffer.
//!
//! Failure simulation:
//! * [`TestSmtpServer::set_down`]: new connections get `421` and are closed, existing
//!   sessions answer `451` to `MAIL` (what a relay does when its queue is unavailable);
//! * [`TestSmtpServer::reject_recipients_containing`]: `RCPT` answered `550` quoting
//!   the address, as real servers do (a permanent failure);
//! * [`TestSmtpServer::hold_replies_after`]: messages past the first `n` are stored but their
//!   final reply is held back (a server that accepted the data and then went silent, or a slow
//!   one), until the hold is lifted;
//! * [`TestSmtpServer::advertise_pipelining`]: `EHLO` without `PIPELINING`;
//! * [`TestSmtpServer::stop`]: the port is closed and every session dropped.
//!
//! ```ignore
//! let server = TestSmtpServer::start().await;
//! let mailer = Mailer::from_url(Some(&server.url()), dir)?;
//! mailer.send(&msg).await?;
//! let mails = server.wait_for(1, Duration::from_secs(10)).await;
//! ```

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    sync::watch,
    task::{JoinHandle, JoinSet},
};

const MAX_LINE: usize = 4096;
const MAX_MESSAGE: usize = 50 * 1024 * 1024;

/// One accepted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// Reverse path of `MAIL FROM` without angle brackets (empty for the null sender).
    pub from: String,
    /// Forward paths of the `RCPT TO` commands, without angle brackets.
    pub to: Vec<String>,
    /// The message content after dot-unstuffing, without the final `.` line.
    pub data: Vec<u8>,
}

impl ReceivedMail {
    pub fn data_str(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

struct State {
    messages: Mutex<Vec<ReceivedMail>>,
    count: watch::Sender<usize>,
    down: AtomicBool,
    reject_rcpt: Mutex<Option<String>>,
    connections: AtomicUsize,
    hold_after: watch::Sender<Option<usize>>,
    pipelining: AtomicBool,
}

/// A running server; stopped when dropped.
pub struct TestSmtpServer {
    addr: SocketAddr,
    state: Arc<State>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl TestSmtpServer {
    /// Binds 127.0.0.1:0 and starts accepting.
    pub async fn start() -> TestSmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind test SMTP server");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(State {
            messages: Mutex::new(Vec::new()),
            count: watch::channel(0).0,
            down: AtomicBool::new(false),
            reject_rcpt: Mutex::new(None),
            connections: AtomicUsize::new(0),
            hold_after: watch::channel(None).0,
            pipelining: AtomicBool::new(true),
        });
        let task = tokio::spawn(accept_loop(listener, state.clone()));
        TestSmtpServer {
            addr,
            state,
            task: Mutex::new(Some(task)),
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `smtp://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port())
    }

    /// Messages accepted so far, in order.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.state.messages.lock().unwrap().clone()
    }

    /// Number of TCP connections accepted so far (to observe connection reuse).
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// Waits until at least `n` messages were accepted and returns all of them. Panics after
    /// `timeout` (a bound so a broken test fails instead of hanging, not a speed check).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let mut rx = self.state.count.subscribe();
        let res = tokio::time::timeout(timeout, rx.wait_for(|c| *c >= n)).await;
        if res.is_err() {
            panic!(
                "test SMTP server: expected {n} message(s) within {timeout:?}, got {}",
                self.state.messages.lock().unwrap().len()
            );
        }
        self.messages()
    }

    /// Simulates an unavailable relay: new connections get `421` and are closed, existing
    /// sessions answer `451` to `MAIL FROM`. `set_down(false)` restores service.
    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }

    /// `RCPT TO` addresses containing `needle` are answered `550 5.1.1` (permanent);
    /// `None` accepts everything again.
    pub fn reject_recipients_containing(&self, needle: Option<&str>) {
        *self.state.reject_rcpt.lock().unwrap() = needle.map(str::to_owned);
    }

    /// Stores every message but holds back the reply to the data of each one past the first
    /// `n` (counting all sessions) until called with `None` (or a larger `n`): what a client
    /// sees of a server that goes silent after accepting a message.
    pub fn hold_replies_after(&self, n: Option<usize>) {
        self.state.hold_after.send_replace(n);
    }

    /// Whether `EHLO` advertises `PIPELINING` (it does unless told otherwise).
    pub fn advertise_pipelining(&self, yes: bool) {
        self.state.pipelining.store(yes, Ordering::SeqCst);
    }

    /// Clears the stored messages.
    pub fn clear(&self) {
        self.state.messages.lock().unwrap().clear();
        self.state.count.send_replace(0);
    }

    /// Closes the listening socket and drops every session.
    pub async fn stop(&self) {
        let task = self.task.lock().unwrap().take();
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for TestSmtpServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.lock().unwrap().take() {
            task.abort();
        }
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    // Sessions live in the JoinSet: aborting this task drops it, which aborts them all.
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                state.connections.fetch_add(1, Ordering::SeqCst);
                let _ = stream.set_nodelay(true);
                sessions.spawn(session(stream, state.clone()));
            }
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
}

#[derive(Default)]
struct Transaction {
    from: Option<String>,
    to: Vec<String>,
}

async fn session(stream: TcpStream, state: Arc<State>) {
    let _ = session_inner(stream, &state).await;
}

async fn session_inner(stream: TcpStream, state: &State) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);

    if state.down.load(Ordering::SeqCst) {
        write
            .write_all(b"421 4.3.2 creneau-test service not available, closing channel\r\n")
            .await?;
        write.shutdown().await?;
        return Ok(());
    }
    write.write_all(b"220 creneau-test ESMTP ready\r\n").await?;

    let mut tx = Transaction::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut reader).take(MAX_LINE as u64).read_until(b'\n', &mut line).await?;
        if n == 0 {
            return Ok(());
        }
        if !line.ends_with(b"\n") {
            write.write_all(b"500 5.5.6 line too long\r\n").await?;
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let cmd_line = text.trim_end_matches(['\r', '\n']);
        let (verb, arg) = match cmd_line.split_once(' ') {
            Some((v, a)) => (v.to_ascii_uppercase(), a.trim()),
            None => (cmd_line.to_ascii_uppercase(), ""),
        };
        let reply: String = match verb.as_str() {
            "EHLO" => {
                tx = Transaction::default();
                let pipelining = if state.pipelining.load(Ordering::SeqCst) {
                    "250-PIPELINING\r\n"
                } else {
                    ""
                };
                format!(
                    "250-creneau-test greets {arg}\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n\
                     {pipelining}250-SIZE {MAX_MESSAGE}\r\n250-AUTH PLAIN LOGIN\r\n\
                     250 ENHANCEDSTATUSCODES\r\n"
                )
            }
            "HELO" => {
                tx = Transaction::default();
                "250 creneau-test\r\n".into()
            }
            "AUTH" => auth(arg, &mut reader, &mut write).await?,
            "MAIL" => {
                if state.down.load(Ordering::SeqCst) {
                    "451 4.3.0 creneau-test temporarily unavailable\r\n".into()
                } else if tx.from.is_some() {
                    "503 5.5.1 nested MAIL command\r\n".into()
                } else {
                    match path_arg(arg, "FROM:") {
                        Some(p) => {
                            tx.from = Some(p);
                            "250 2.1.0 OK\r\n".into()
                        }
                        None => "501 5.5.4 syntax: MAIL FROM:<address>\r\n".into(),
                    }
                }
            }
            "RCPT" => {
                if tx.from.is_none() {
                    "503 5.5.1 need MAIL before RCPT\r\n".into()
                } else {
                    match path_arg(arg, "TO:") {
                        Some(p) if p.is_empty() => "501 5.1.3 empty recipient\r\n".into(),
                        Some(p) => {
                            let reject = state.reject_rcpt.lock().unwrap().clone();
                            if reject.is_some_and(|r| p.contains(&r)) {
                                // Real servers quote the address in their refusal.
                                format!("550 5.1.1 <{p}>: Recipient address rejected: mailbox unavailable\r\n")
                            } else {
                                tx.to.push(p);
                                "250 2.1.5 OK\r\n".into()
                            }
                        }
                        None => "501 5.5.4 syntax: RCPT TO:<address>\r\n".into(),
                    }
                }
            }
            "DATA" => {
                if tx.from.is_none() {
                    "503 5.5.1 need MAIL command\r\n".into()
                } else if tx.to.is_empty() {
                    "554 5.5.1 no valid recipients\r\n".into()
                } else {
                    write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                    let Some(data) = read_data(&mut reader).await? else {
                        return Ok(());
                    };
                    let tx = std::mem::take(&mut tx);
                    if data.len() > MAX_MESSAGE {
                        "552 5.3.4 message too big\r\n".into()
                    } else {
                        let n = {
                            let mut messages = state.messages.lock().unwrap();
                            messages.push(ReceivedMail {
                                from: tx.from.unwrap_or_default(),
                                to: tx.to,
                                data,
                            });
                            messages.len()
                        };
                        state.count.send_replace(n);
                        let mut hold = state.hold_after.subscribe();
                        let _ = hold.wait_for(|h| h.is_none_or(|h| n <= h)).await;
                        format!("250 2.0.0 OK queued as {n}\r\n")
                    }
                }
            }
            "RSET" => {
                tx = Transaction::default();
                "250 2.0.0 OK\r\n".into()
            }
            "NOOP" => "250 2.0.0 OK\r\n".into(),
            "VRFY" => "252 2.1.5 cannot verify, will attempt delivery\r\n".into(),
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                write.shutdown().await?;
                return Ok(());
            }
            "" => "500 5.5.2 empty command\r\n".into(),
            _ => "500 5.5.2 command unrecognized\r\n".into(),
        };
        write.write_all(reply.as_bytes()).await?;
    }
}

/// Parses `FROM:<addr> [params]` / `TO:<addr> [params]`.
fn path_arg(arg: &str, prefix: &str) -> Option<String> {
    if arg.len() < prefix.len() || !arg[..prefix.len()].eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = arg[prefix.len()..].trim_start();
    let rest = rest.strip_prefix('<')?;
    let end = rest.find('>')?;
    Some(rest[..end].to_owned())
}

/// Reads DATA lines until `.` alone, undoing dot-stuffing. `None` if the client went away.
async fn read_data<R: tokio::io::AsyncBufRead + Unpin>(reader: &mut R) -> std::io::Result<Option<Vec<u8>>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).await?;
        if n == 0 {
            return Ok(None);
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(Some(data));
        }
        if data.len() <= MAX_MESSAGE {
            let content = if line.starts_with(b".") { &line[1..] } else { &line[..] };
            data.extend_from_slice(content);
        }
    }
}

/// `AUTH PLAIN [initial]` or `AUTH LOGIN`: accepts any credentials.
async fn auth<R, W>(arg: &str, reader: &mut R, write: &mut W) -> std::io::Result<String>
where
    R: tokio::io::AsyncBufRead + Unpin,
    W: tokio::io::AsyncWrite + Unpin,
{
    let mut parts = arg.split_whitespace();
    let mechanism = parts.next().unwrap_or_default().to_ascii_uppercase();
    let initial = parts.next();
    let steps = match (mechanism.as_str(), initial) {
        ("PLAIN", Some(_)) => 0,
        ("PLAIN", None) => 1,
        ("LOGIN", Some(_)) => 1,
        ("LOGIN", None) => 2,
        _ => return Ok("504 5.5.4 unrecognized authentication type\r\n".into()),
    };
    let prompts: &[&[u8]] = match (mechanism.as_str(), steps) {
        ("LOGIN", 2) => &[b"334 VXNlcm5hbWU6\r\n", b"334 UGFzc3dvcmQ6\r\n"],
        ("LOGIN", 1) => &[b"334 UGFzc3dvcmQ6\r\n"],
        ("PLAIN", 1) => &[b"334 \r\n"],
        _ => &[],
    };
    for prompt in prompts {
        write.write_all(prompt).await?;
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Ok("501 5.7.0 authentication aborted\r\n".into());
        }
        if line.starts_with(b"*") {
            return Ok("501 5.7.0 authentication cancelled\r\n".into());
        }
    }
    Ok("235 2.7.0 Authentication successful\r\n".into())
}
