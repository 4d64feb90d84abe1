//! Staff passwords, hashed with argon2id.
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier, password_hash::SaltString};
use rand::RngCore;

pub(crate) fn hash(password: &str) -> anyhow::Result<String> {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let salt = SaltString::encode_b64(&bytes).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

pub(crate) fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A hash to verify against when the account does not exist, so that a wrong e-mail and a
/// wrong password take the same time.
pub(crate) fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash("not a real password").expect("argon2 works"))
}

/// Argon2id takes ~19 MiB and tens of milliseconds of CPU per check, by design. At most this
/// many run at once, off the async workers: a burst of sign-ins queues instead of stalling
/// every request or multiplying the memory.
const CONCURRENT_CHECKS: usize = 2;

fn checks() -> &'static tokio::sync::Semaphore {
    static CHECKS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    CHECKS.get_or_init(|| tokio::sync::Semaphore::new(CONCURRENT_CHECKS))
}

/// [`verify`] for async callers: bounded in number and run on the blocking pool.
pub(crate) async fn verify_bounded(password: &str, stored: &str) -> bool {
    let Ok(_permit) = checks().acquire().await else {
        return false;
    };
    let (password, stored) = (password.to_string(), stored.to_string());
    tokio::task::spawn_blocking(move || verify(&password, &stored))
        .await
        .unwrap_or(false)
}
