//! Booking codes: six characters a resident can read over the phone or type from an SMS
//! (`K7P-4QX`), drawn from an alphabet without look-alikes (no 0/O, 1/I/L). A code names a
//! booking within its organisation; it opens nothing alone (see `bookings::find_again`).
use std::fmt;

use rand::Rng;

/// 8 digits and 23 letters: 31⁶ ≈ 887 million codes.
pub(crate) const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
pub(crate) const LEN: usize = 6;

/// A well-formed code, stored and compared as six upper-case characters without dash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingCode(String);

impl BookingCode {
    /// A fresh random code (uniqueness is claimed in the database, see `claim`).
    pub(crate) fn random() -> BookingCode {
        let mut rng = rand::rng();
        BookingCode(
            (0..LEN)
                .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
                .collect(),
        )
    }

    /// Reads a code as people type it: case, dashes and spaces ignored.
    pub fn parse(raw: &str) -> Option<BookingCode> {
        let code: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '‐' | '–' | '.'))
            .flat_map(char::to_uppercase)
            .collect();
        (code.len() == LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(BookingCode(code))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// How a stored code is shown: `K7P-4QX`.
pub(crate) fn display(stored: &str) -> String {
    if stored.len() == LEN && stored.is_ascii() {
        format!("{}-{}", &stored[..3], &stored[3..])
    } else {
        stored.to_string()
    }
}

impl fmt::Display for BookingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&display(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_read_whatever_its_case_dashes_and_spaces() {
        let code = BookingCode::parse(" k7p-4qx ").unwrap();
        assert_eq!(code.as_str(), "K7P4QX");
        assert_eq!(code.to_string(), "K7P-4QX");
        assert_eq!(BookingCode::parse("K7P 4QX"), Some(code));
    }

    #[test]
    fn a_code_with_a_look_alike_or_the_wrong_length_is_not_a_code() {
        for bad in ["K7P-4Q0", "K7P-4QI", "K7P-4Q", "K7P-4QXX", "", "K7P-4Qé"] {
            assert_eq!(BookingCode::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn random_codes_use_only_the_alphabet() {
        for _ in 0..200 {
            let c = BookingCode::random();
            assert_eq!(BookingCode::parse(c.as_str()), Some(c));
        }
    }
}
