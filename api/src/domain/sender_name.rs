//! The name an organisation's SMS come from. Operators take 1 to 11 ASCII letters or digits
//! (an accent, a space or a twelfth letter and the SMS is refused or its sender replaced by a
//! number): checked once here, then known good.
use std::fmt;

/// Most characters of an alphanumeric sender.
pub(crate) const MAX: usize = 11;

/// 1 to 11 ASCII letters or digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SenderNameError {
    #[error("Indiquez le nom d'expéditeur des SMS : 11 lettres ou chiffres au plus (exemple : VilleArles).")]
    Missing,
    #[error("Le nom d'expéditeur a 11 lettres ou chiffres au plus (ici {0}).")]
    TooLong(usize),
    #[error(
        "Le nom d'expéditeur ne peut avoir que des lettres sans accent et des chiffres, sans espace ni signe \
         (exemple : VilleArles)."
    )]
    NotLettersOrDigits,
}

impl SenderName {
    /// The name typed, spaces around it aside.
    pub(crate) fn parse(raw: &str) -> Result<SenderName, SenderNameError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(SenderNameError::Missing);
        }
        if !s.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(SenderNameError::NotLettersOrDigits);
        }
        if s.len() > MAX {
            return Err(SenderNameError::TooLong(s.len()));
        }
        Ok(SenderName(s.to_string()))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for SenderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eleven_letters_or_digits_are_a_sender_and_nothing_else_is() {
        assert_eq!(SenderName::parse(" Arles13 ").unwrap().as_str(), "Arles13");
        assert!(SenderName::parse("VILLEDARLES").is_ok());
        assert_eq!(SenderName::parse("VilleDArlesX"), Err(SenderNameError::TooLong(12)));
        assert_eq!(SenderName::parse("Arlés"), Err(SenderNameError::NotLettersOrDigits));
        assert_eq!(
            SenderName::parse("Ville Arles"),
            Err(SenderNameError::NotLettersOrDigits)
        );
        assert_eq!(SenderName::parse("  "), Err(SenderNameError::Missing));
    }
}
