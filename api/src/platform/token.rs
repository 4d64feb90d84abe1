//! Secret tokens (manage links, staff sessions, calendar feeds): 256 random bits shown once,
//! only their SHA-256 kept. A leaked database cannot be turned into working links.
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh token, URL-safe, 43 characters.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The manage token of a booking whose key is `key`: `HMAC-SHA256(secret, key)`, URL-safe,
/// 43 characters like [`generate`]'s. The booking stores the key and the token's hash; the
/// token itself exists only in the answer to the resident and in the e-mails.
pub fn manage_token(secret: &secrecy::SecretString, key: &str) -> String {
    use hmac::{Hmac, Mac};
    use secrecy::ExposeSecret;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()).expect("HMAC takes any key length");
    mac.update(b"creneau manage link\0");
    mac.update(key.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// What the database stores and looks up.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Cheap shape check before any database look-up, so garbage never reaches a query.
/// Whether two secrets are equal, in a time that does not tell how much of them matched.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(crate) fn looks_valid(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_well_formed_and_stored_only_as_a_hash() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        assert!(looks_valid(&a));
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), a);
        assert!(!looks_valid("../../etc/passwd"));
    }

    #[test]
    fn a_manage_token_needs_the_secret_and_the_key() {
        let (s1, s2) = (
            secrecy::SecretString::from(generate()),
            secrecy::SecretString::from(generate()),
        );
        let key = generate();
        let t = manage_token(&s1, &key);
        assert!(looks_valid(&t));
        assert_eq!(t, manage_token(&s1, &key));
        assert_ne!(t, manage_token(&s2, &key));
        assert_ne!(t, manage_token(&s1, &generate()));
    }
}
