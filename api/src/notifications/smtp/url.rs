//! Reading `CRENEAU_SMTP_URL` into a [`Mailer`]: the scheme chooses the security, the user
//! and password are percent-decoded, the query sets the pool and the EHLO name.
use std::path::Path;

use anyhow::{Context, bail};

use super::{
    Mailer,
    client::{DEFAULT_POOL_SIZE, Security, SmtpConfig, SmtpMailer},
    files::FileMailer,
};

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
        let parsed = ::url::Url::parse(url).with_context(|| "invalid mail URL (see Mailer::from_url)")?;
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
            Some(::url::Host::Domain(d)) => d.to_owned(),
            Some(::url::Host::Ipv4(a)) => a.to_string(),
            Some(::url::Host::Ipv6(a)) => a.to_string(),
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
}
