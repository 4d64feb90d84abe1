//! Cross-site request forgery protection for every POST form.
//!
//! * Public forms (registering, cancelling, booking, staff sign-in): a **double-submit
//!   cookie**. The first page a browser loads sets `creneau_csrf`, a random token
//!   (HttpOnly, SameSite=Lax, Path=/, Secure over https); every form carries the same value
//!   in a hidden `csrf` field. Another site can make a browser send the cookie but cannot
//!   read it, so it cannot write the matching field. No server state and no secret key, so
//!   it survives restarts and several instances.
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
use crate::platform::token;

pub(crate) const COOKIE: &str = "creneau_csrf";

/// The request's public CSRF token: the cookie's, or a fresh one to be set.
#[derive(Clone, Debug)]
pub(crate) struct PublicToken {
    pub value: String,
    /// False when the browser sent no (valid) cookie: a POST then cannot pass.
    pub from_cookie: bool,
}

impl PublicToken {
    pub(crate) fn from_request(req: &Request) -> PublicToken {
        let sent = req.cookie().get(COOKIE).map(|c| c.value_str().to_string());
        match sent.filter(|v| token::looks_valid(v)) {
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
        self.from_cookie && constant_time_eq(form.get(CSRF_FIELD).as_bytes(), self.value.as_bytes())
    }
}

/// The cookie carrying a fresh token: HttpOnly, SameSite=Lax, for the whole site.
pub(crate) fn cookie(value: &str, secure: bool) -> Cookie {
    let mut c = Cookie::new_with_str(COOKIE, value);
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
    constant_time_eq(form.get(CSRF_FIELD).as_bytes(), staff_token(session_token).as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
