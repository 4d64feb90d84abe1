//! Messages written as `.eml` files: for development, tests, or a pickup directory.
use std::{
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
};

use lettre::address::Envelope;

use super::SendError;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notifications::smtp::envelope;

    #[test]
    fn header_value_and_file_names() {
        let raw = b"From: a@b\r\nMessage-ID:\r\n <outbox-1@x.example>\r\nSubject: s\r\n\r\nMessage-ID: body";
        assert_eq!(header_value(raw, "message-id").as_deref(), Some("<outbox-1@x.example>"));
        assert_eq!(header_value(raw, "Date"), None);
        assert_eq!(sanitise_file_part("<outbox-1@x.example>"), "outbox-1@x.example");
        assert_eq!(sanitise_file_part("<../../etc/passwd>"), "_.._etc_passwd");
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
}
