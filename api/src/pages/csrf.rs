//! Cross-site request forgery protection for every POST form.
//!
//! * Public forms (registering, cancelling, booking, staff sign-in): a **signed
//!   double-submit cookie**. The first page a browser loads sets `creneau_csrf`
//!   (`__Host-creneau_csrf` over https, so no sibling host can set it): a random token
//!   followed by its HMAC with the server secret (HttpOnly, SameSite=Lax, Path=/, Secure over
//!   https); every form carries the token in a hidden `csrf` field. Another site can make a
//!   browser send the cookie but cannot read it, and a cookie planted by someone else fails
//!   the signature. No server state, so it survives restarts and several instances sharing
//!   the secret.
//! * Staff forms: the hidden field is derived from the staff session token,
//!   `hex(sha256(token || "csrf"))`. It changes with each sign-in and is worthless once the
//!   session is revoked.
//!
//! Comparisons run in constant time.
use poem::{
    Request,
    web::cookie::{Cookie, SameSite},
};
use sha2::{Digest, Sha256};

use super::forms::{CSRF_FIELD, FormData};
use crate::platform::{
    config::{ExposeSecret, SecretString},
    token,
};

pub(crate) const COOKIE: &str = "creneau_csrf";
/// The name over https: the `__Host-` prefix makes browsers refuse it unless it is Secure,
/// for the whole site and set by this host itself.
pub(crate) const HOST_COOKIE: &str = "__Host-creneau_csrf";

pub(crate) fn cookie_name(https: bool) -> &'static str {
    if https { HOST_COOKIE } else { COOKIE }
}

/// `token.signature`, the cookie's value.
fn signed(secret: &SecretString, token: &str) -> String {
    format!("{token}.{}", signature(secret, token))
}

fn signature(secret: &SecretString, token: &str) -> String {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()).expect("HMAC takes any key length");
    mac.update(b"creneau csrf cookie\0");
    mac.update(token.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// The token of a cookie value whose signature holds.
fn verified(secret: &SecretString, value: &str) -> Option<String> {
    let (token, sig) = value.split_once('.')?;
    (token::looks_valid(token) && token::constant_time_eq(sig.as_bytes(), signature(secret, token).as_bytes()))
        .then(|| token.to_string())
}

/// The request's public CSRF token: the cookie's, or a fresh one to be set.
#[derive(Clone, Debug)]
pub(crate) struct PublicToken {
    pub value: String,
    /// False when the browser sent no (valid) cookie: a POST then cannot pass.
    pub from_cookie: bool,
}

impl PublicToken {
    pub(crate) fn from_request(req: &Request, secret: &SecretString, https: bool) -> PublicToken {
        let sent = req.cookie().get(cookie_name(https)).map(|c| c.value_str().to_string());
        match sent.and_then(|v| verified(secret, &v)) {
            Some(value) => PublicToken {
                value,
                from_cookie: true,
            },
            None => PublicToken {
                value: token::generate(),
                from_cookie: false,
            },
        }
    }

    /// True when the form's hidden field matches the cookie the browser sent.
    pub(crate) fn accepts(&self, form: &FormData) -> bool {
        self.from_cookie && token::constant_time_eq(form.get(CSRF_FIELD).as_bytes(), self.value.as_bytes())
    }
}

/// The cookie carrying a fresh token, signed: HttpOnly, SameSite=Lax, for the whole site.
pub(crate) fn cookie(token: &str, secret: &SecretString, secure: bool) -> Cookie {
    let mut c = Cookie::new_with_str(cookie_name(secure), signed(secret, token));
    c.set_path("/");
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_secure(secure);
    c
}

/// The hidden-field value of staff forms for the session `session_token`.
pub(crate) fn staff_token(session_token: &str) -> String {
    let mut h = Sha256::new();
    h.update(session_token.as_bytes());
    h.update(b"csrf");
    hex::encode(h.finalize())
}

pub(crate) fn staff_accepts(session_token: &str, form: &FormData) -> bool {
    token::constant_time_eq(form.get(CSRF_FIELD).as_bytes(), staff_token(session_token).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_form_passes_only_with_the_cookie_value_in_its_field() {
        let t = token::generate();
        let tok = PublicToken {
            value: t.clone(),
            from_cookie: true,
        };
        assert!(tok.accepts(&FormData::from_pairs(&[("csrf", &t)])));
        assert!(!tok.accepts(&FormData::from_pairs(&[("csrf", "autre")])));
        assert!(!tok.accepts(&FormData::from_pairs(&[])));
        let fresh = PublicToken {
            value: t.clone(),
            from_cookie: false,
        };
        assert!(
            !fresh.accepts(&FormData::from_pairs(&[("csrf", &t)])),
            "no cookie, no pass"
        );
    }

    #[test]
    fn a_cookie_passes_only_with_the_signature_of_this_server() {
        let secret = SecretString::from(token::generate());
        let t = token::generate();
        assert_eq!(verified(&secret, &signed(&secret, &t)), Some(t.clone()));
        assert_eq!(verified(&secret, &t), None, "unsigned");
        let other = SecretString::from(token::generate());
        assert_eq!(verified(&secret, &signed(&other, &t)), None, "another secret");
        assert_eq!(cookie_name(true), "__Host-creneau_csrf");
    }

    #[test]
    fn the_staff_form_token_is_derived_from_the_session_and_differs_from_it() {
        let session = token::generate();
        let field = staff_token(&session);
        assert_ne!(field, session);
        assert_eq!(field.len(), 64);
        assert!(staff_accepts(&session, &FormData::from_pairs(&[("csrf", &field)])));
        assert!(!staff_accepts(
            &token::generate(),
            &FormData::from_pairs(&[("csrf", &field)])
        ));
    }
}
