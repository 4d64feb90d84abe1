//! A real SMS gateway for the tests: Kannel's `bearerbox` and `smsbox` from Debian's packages,
//! with `fakesmsc` as the SMS centre, each on free loopback ports with a config file of its
//! own. The tests read what fakesmsc printed for every message it received.
use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

pub const BEARERBOX: &str = "/usr/sbin/bearerbox";
pub const SMSBOX: &str = "/usr/sbin/smsbox";
pub const FAKESMSC: &str = "/usr/lib/kannel/test/fakesmsc";

/// One message as the fake SMS centre received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedSms {
    pub from: String,
    pub to: String,
    pub text: String,
}

/// The secret in the URL Kannel calls with each incoming text (`CRENEAU_SMS_INBOUND_SECRET`).
pub const INBOUND_SECRET: &str = "inbound-s3cret";

pub struct TestKannel {
    dir: PathBuf,
    pub sendsms_port: u16,
    /// The port the app must listen on for Kannel to forward incoming texts to it.
    pub app_port: u16,
    smsc_port: u16,
    bearerbox: Option<Child>,
    smsbox: Option<Child>,
    fakesmsc: Option<Child>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    panic!("{what} did not open port {port}");
}

/// Whether Kannel is installed; in CI it must be (`.ci/run` installs it).
pub fn available() -> bool {
    let there = [BEARERBOX, SMSBOX, FAKESMSC]
        .iter()
        .all(|p| std::path::Path::new(p).exists());
    if !there && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but Kannel is not installed (apt-get install -y kannel kannel-extras)");
    }
    if !there {
        eprintln!("skipped: Kannel is not installed (apt-get install -y kannel kannel-extras)");
    }
    there
}

/// A concatenated message still arriving: (recipient, reference), the number of parts, the
/// parts by sequence number, the sender.
type PendingParts = ((String, u8), u8, Vec<(u8, String)>, String);

impl TestKannel {
    /// Starts the three processes; `None` when Kannel is not installed (outside CI).
    pub fn start() -> Option<TestKannel> {
        if !available() {
            return None;
        }
        let dir = std::env::temp_dir().join(format!("creneau-kannel-{:016x}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        let (admin, boxes, smsc, sendsms) = (free_port(), free_port(), free_port(), free_port());
        let app = free_port();
        let config = format!(
            "group = core\nadmin-port = {admin}\nadmin-password = admin-test\nsmsbox-port = {boxes}\n\
             dlr-storage = internal\nlog-level = 1\nbox-allow-ip = 127.0.0.1\n\n\
             group = smsc\nsmsc = fake\nsmsc-id = fake\nport = {smsc}\nconnect-allow-ip = 127.0.0.1\n\n\
             group = smsbox\nbearerbox-host = 127.0.0.1\nsendsms-port = {sendsms}\nlog-level = 1\n\n\
             group = sendsms-user\nusername = creneau\npassword = s3cret\nmax-messages = 3\nconcatenation = true\n\n\
             group = sms-service\nkeyword = default\ncatch-all = true\nmax-messages = 0\n\
             get-url = \"http://127.0.0.1:{app}/sms/kannel/inbound?secret={INBOUND_SECRET}&from=%p&text=%a\"\n"
        );
        std::fs::write(dir.join("kannel.conf"), config).expect("the Kannel config");
        let mut k = TestKannel {
            dir,
            sendsms_port: sendsms,
            app_port: app,
            smsc_port: smsc,
            bearerbox: None,
            smsbox: None,
            fakesmsc: None,
        };
        k.bearerbox = Some(k.spawn(BEARERBOX, &["kannel.conf"], "bearerbox.log"));
        wait_for_port(boxes, "bearerbox");
        wait_for_port(smsc, "bearerbox's fake SMSC link");
        k.start_fakesmsc(0, "0 0 text nothing");
        k.start_smsbox();
        Some(k)
    }

    /// (Re)connects a fake SMS centre that sends `max` incoming messages `message`
    /// ("FROM TO text BODY") and prints every message it receives to `fakesmsc.log`.
    fn start_fakesmsc(&mut self, max: u32, message: &str) {
        if let Some(mut c) = self.fakesmsc.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let child = self.spawn(
            FAKESMSC,
            &[
                "-H",
                "127.0.0.1",
                "-r",
                &self.smsc_port.to_string(),
                "-m",
                &max.to_string(),
                message,
            ],
            "fakesmsc.log",
        );
        self.fakesmsc = Some(child);
    }

    /// A resident's phone texts `text` to the gateway, which forwards it to the app (on
    /// [`TestKannel::app_port`]); then the centre goes back to only receiving.
    pub async fn send_from(&mut self, from: &str, text: &str) {
        let log = self.dir.join("fakesmsc.log");
        let before = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .matches("sent message")
            .count();
        self.start_fakesmsc(1, &format!("{from} 36000 text {text}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::fs::read_to_string(&log)
            .unwrap_or_default()
            .matches("sent message")
            .count()
            == before
        {
            assert!(Instant::now() < deadline, "fakesmsc did not send the incoming message");
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        self.start_fakesmsc(0, "0 0 text nothing");
    }

    fn spawn(&self, program: &str, args: &[&str], log: &str) -> Child {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(log))
            .expect("a log file");
        Command::new(program)
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("a log file"))
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {program}: {e}"))
    }

    /// `CRENEAU_SMS_URL` for this gateway.
    pub fn url(&self) -> String {
        format!("kannel://creneau:s3cret@127.0.0.1:{}", self.sendsms_port)
    }

    /// Stops the `sendsms` interface: Créneau finds the gateway down.
    pub fn stop_smsbox(&mut self) {
        if let Some(mut c) = self.smsbox.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.sendsms_port)).is_ok() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// Starts (again) the `sendsms` interface.
    pub fn start_smsbox(&mut self) {
        self.smsbox = Some(self.spawn(SMSBOX, &["kannel.conf"], "smsbox.log"));
        wait_for_port(self.sendsms_port, "smsbox");
    }

    /// Every message fakesmsc printed so far, in order; the parts of a concatenated message
    /// (printed one by one, with their UDH) joined back into one once all have arrived.
    pub fn received(&self) -> Vec<ReceivedSms> {
        let log = std::fs::read_to_string(self.dir.join("fakesmsc.log")).unwrap_or_default();
        let mut out = Vec::new();
        let mut pending: Vec<PendingParts> = Vec::new();
        for l in log.lines() {
            let Some(at) = l.find("Got message ") else { continue };
            let rest = &l[at..];
            let Some(body) = rest.find(": <").and_then(|i| rest[i + 3..].strip_suffix('>')) else {
                continue;
            };
            let mut parts = body.splitn(4, ' ');
            let (Some(from), Some(to), Some(kind)) = (parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            let rest = parts.next().unwrap_or_default();
            match kind {
                "udh" => {
                    let mut p = rest.splitn(2, ' ');
                    let udh = percent_decode(p.next().unwrap_or_default());
                    let data = p.next().unwrap_or_default();
                    let data = data.strip_prefix("data ").unwrap_or(data);
                    let text = String::from_utf8_lossy(&percent_decode(data)).into_owned();
                    // 05 00 03 ref total seq
                    if udh.len() < 6 || udh[1] != 0 {
                        continue;
                    }
                    let (reference, total, seq) = (udh[3], udh[4], udh[5]);
                    let key = (to.to_string(), reference);
                    let entry = match pending.iter_mut().position(|e| e.0 == key) {
                        Some(i) => &mut pending[i],
                        None => {
                            pending.push((key, total, Vec::new(), from.to_string()));
                            pending.last_mut().expect("just pushed")
                        }
                    };
                    entry.2.push((seq, text));
                    if entry.2.len() == usize::from(entry.1) {
                        let i = pending
                            .iter()
                            .position(|e| e.2.len() == usize::from(e.1))
                            .expect("complete");
                        let (key, _, mut texts, from) = pending.remove(i);
                        texts.sort_by_key(|(seq, _)| *seq);
                        out.push(ReceivedSms {
                            from,
                            to: key.0,
                            text: texts.into_iter().map(|(_, t)| t).collect(),
                        });
                    }
                }
                _ => out.push(ReceivedSms {
                    from: from.to_string(),
                    to: to.to_string(),
                    text: rest.to_string(),
                }),
            }
        }
        out
    }

    /// How many single messages (segments) the SMS centre received.
    pub fn segments(&self) -> usize {
        let log = std::fs::read_to_string(self.dir.join("fakesmsc.log")).unwrap_or_default();
        log.lines().filter(|l| l.contains("Got message ")).count()
    }

    /// Waits until at least `n` messages were received (at most 10 s); answers them all.
    pub async fn wait_for(&self, n: usize) -> Vec<ReceivedSms> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.received();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for TestKannel {
    fn drop(&mut self) {
        for child in [self.smsbox.take(), self.fakesmsc.take(), self.bearerbox.take()]
            .into_iter()
            .flatten()
        {
            let mut child = child;
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `%XX` and `+` decoded (fakesmsc prints binary and concatenated texts URL-encoded).
fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    out
}
