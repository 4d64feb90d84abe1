//! The server secret: the key manage links are derived from (so the database alone never
//! gives a working link) and the CSRF cookie is signed with.
//!
//! Where it comes from, in order:
//! 1. `CRENEAU_SECRET` (at least 32 characters), the way to run several instances or PostgreSQL;
//! 2. with SQLite, a file next to the database (`creneau.db.secret`, mode 0600), made once at
//!    the first start and read at every later one;
//! 3. with PostgreSQL and no `CRENEAU_SECRET`, the service refuses to start: a secret made up
//!    at each start would break every link sent before, and one kept in the database would
//!    defeat its purpose.
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use secrecy::SecretString;

use crate::platform::token;

/// The shortest secret accepted from the configuration.
pub const MIN_SECRET_LEN: usize = 32;

/// The secret for the database at `database_url`, given what the configuration says.
pub fn resolve(database_url: &str, configured: Option<&SecretString>) -> anyhow::Result<SecretString> {
    use secrecy::ExposeSecret;
    if let Some(s) = configured {
        if s.expose_secret().chars().count() < MIN_SECRET_LEN {
            bail!("CRENEAU_SECRET must be at least {MIN_SECRET_LEN} characters long");
        }
        return Ok(s.clone());
    }
    match sqlite_file(database_url) {
        Some(path) => read_or_create(&secret_path(&path)),
        None if database_url.starts_with("sqlite:") => Ok(SecretString::from(token::generate())),
        None => bail!(
            "CRENEAU_SECRET is not set: with PostgreSQL the server secret must come from the configuration \
             (for example `openssl rand -base64 48`), the same for every instance and kept across restarts"
        ),
    }
}

/// The file of a SQLite URL (`sqlite://creneau.db?mode=rwc` → `creneau.db`); `None` in memory.
fn sqlite_file(database_url: &str) -> Option<PathBuf> {
    let rest = database_url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.contains(":memory:") && !path.starts_with("file::memory")).then(|| PathBuf::from(path))
}

/// `creneau.db` → `creneau.db.secret`.
pub fn secret_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".secret");
    PathBuf::from(name)
}

fn read_or_create(path: &Path) -> anyhow::Result<SecretString> {
    if let Ok(text) = std::fs::read_to_string(path) {
        let text = text.trim();
        if text.len() < MIN_SECRET_LEN {
            bail!("{} is too short to be a server secret", path.display());
        }
        return Ok(SecretString::from(text.to_string()));
    }
    let value = token::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            use std::io::Write;
            file.write_all(value.as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("writing the server secret to {}", path.display()))?;
            Ok(SecretString::from(value))
        }
        // Another process (the worker next to the server) made it first.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_or_create(path),
        Err(e) => Err(e).with_context(|| format!("creating the server secret {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn the_sqlite_default_makes_a_private_secret_file_once_and_reads_it_afterwards() {
        let dir = std::env::temp_dir().join(format!("creneau-secret-{}", &token::generate()[..12]));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("creneau.db");
        let url = format!("sqlite://{}?mode=rwc", db.display());
        let first = resolve(&url, None).unwrap();
        let again = resolve(&url, None).unwrap();
        assert_eq!(first.expose_secret(), again.expose_secret());
        let file = dir.join("creneau.db.secret");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), first.expose_secret());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn postgresql_without_a_configured_secret_refuses_and_a_short_secret_is_refused() {
        let pg = "postgres://creneau@db.example/creneau";
        assert!(resolve(pg, None).unwrap_err().to_string().contains("CRENEAU_SECRET"));
        assert!(resolve(pg, Some(&SecretString::from("court"))).is_err());
        let long = SecretString::from("x".repeat(40));
        assert_eq!(resolve(pg, Some(&long)).unwrap().expose_secret(), long.expose_secret());
        assert!(resolve("sqlite::memory:", None).is_ok());
    }
}
