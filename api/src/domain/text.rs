//! Text and instants as the API reads them from JSON, strictly: a string must be a JSON
//! string (poem-openapi's `String` would take `123` or `true`), free text holds no control
//! character (a NUL byte is refused by PostgreSQL, a CR/LF must never reach a mail header),
//! and an instant is RFC 3339 without a leap second, within the years of `domain::dates`.
//!
//! [`Line`] is for one-line text (names, titles, a city, an e-mail), [`Lines`] for text where
//! several lines make sense (a note, accessibility needs, instructions): tab and line breaks
//! are allowed there, nothing else. A refusal is answered 422 with [`CONTROL_MESSAGE`] or
//! [`dates::OUT_OF_RANGE`](super::dates::OUT_OF_RANGE) (see `http::error`); the pages give
//! the same words beside the field (`contact::free_text`, `PersonName`).
use std::{borrow::Cow, ops::Deref};

use chrono::{DateTime, FixedOffset, Timelike};
use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type},
};
use serde_json::Value;

/// Said of a text holding a control character, in the API and beside a form's field.
pub(crate) const CONTROL_MESSAGE: &str =
    "Ce texte contient un caractère invisible non autorisé (caractère de contrôle) : retirez-le et réessayez.";
/// Said of an instant with a leap second (`23:59:60`).
pub(crate) const LEAP_SECOND_MESSAGE: &str = "Cette heure n'est pas valable : les secondes vont de 00 à 59.";

/// Whether `text` is acceptable free text: no control character, except tab and line
/// breaks when `multiline`.
pub(crate) fn acceptable(text: &str, multiline: bool) -> bool {
    !text
        .chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\t' | '\n' | '\r')))
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, $multiline:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct $name(String);

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Type for $name {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;

            fn name() -> Cow<'static, str> {
                "string".into()
            }

            fn schema_ref() -> MetaSchemaRef {
                MetaSchemaRef::Inline(Box::new(MetaSchema::new("string")))
            }

            fn as_raw_value(&self) -> Option<&Self::RawValueType> {
                Some(self)
            }

            fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
                Box::new(self.as_raw_value().into_iter())
            }

            fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl ParseFromJSON for $name {
            fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
                match value.unwrap_or_default() {
                    Value::String(s) if acceptable(&s, $multiline) => Ok($name(s)),
                    Value::String(_) => Err(ParseError::custom(CONTROL_MESSAGE)),
                    other => Err(ParseError::expected_type(other)),
                }
            }
        }

        impl ToJSON for $name {
            fn to_json(&self) -> Option<Value> {
                Some(Value::String(self.0.clone()))
            }
        }
    };
}

text_type!(
    /// One line of text from a request: a JSON string without any control character.
    Line,
    false
);
text_type!(
    /// Text from a request where several lines make sense: a JSON string whose only control
    /// characters are tab and line breaks.
    Lines,
    true
);

/// An instant from a request body: an RFC 3339 JSON string, no leap second, year 2000–2100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instant(DateTime<FixedOffset>);

impl Instant {
    pub(crate) fn parse(raw: &str) -> Result<Instant, &'static str> {
        let t = DateTime::parse_from_rfc3339(raw).map_err(|_| INVALID_INSTANT)?;
        // chrono reads `23:59:60` as a leap second, kept in the nanoseconds.
        if t.nanosecond() >= 1_000_000_000 {
            return Err(LEAP_SECOND_MESSAGE);
        }
        if !super::dates::instant_in_range(&t) {
            return Err(super::dates::OUT_OF_RANGE);
        }
        Ok(Instant(t))
    }
}

const INVALID_INSTANT: &str = "Cette date n'est pas valable : écrivez-la comme 2027-01-12T14:00:00+01:00.";

impl Deref for Instant {
    type Target = DateTime<FixedOffset>;
    fn deref(&self) -> &DateTime<FixedOffset> {
        &self.0
    }
}

impl From<Instant> for DateTime<FixedOffset> {
    fn from(i: Instant) -> DateTime<FixedOffset> {
        i.0
    }
}

impl Type for Instant {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string_date-time".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "date-time")))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromJSON for Instant {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(s) => Instant::parse(&s).map_err(ParseError::custom),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl ToJSON for Instant {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.to_rfc3339()))
    }
}

/// The French words of a refusal from this module, when a parse error carries one: such a
/// refusal is a 422 (the request is well formed JSON), not a 400.
pub(crate) fn refusal_in(message: &str) -> Option<&'static str> {
    [
        CONTROL_MESSAGE,
        LEAP_SECOND_MESSAGE,
        INVALID_INSTANT,
        super::dates::OUT_OF_RANGE,
    ]
    .into_iter()
    .find(|m| message.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_refuses_every_control_character_and_several_lines_allow_tab_and_breaks() {
        assert!(acceptable("Jeanne Martin", false));
        assert!(!acceptable("a\u{0}b", false));
        assert!(!acceptable("a\nb", false));
        assert!(acceptable("ligne 1\r\nligne 2\tfin", true));
        assert!(!acceptable("a\u{0}b", true));
        assert!(!acceptable("a\u{7f}b", true));
    }

    #[test]
    fn a_number_is_not_a_string() {
        assert!(Line::parse_from_json(Some(serde_json::json!(123))).is_err());
        assert!(Line::parse_from_json(Some(Value::Null)).is_err());
        assert_eq!(
            &*Line::parse_from_json(Some(serde_json::json!("Arles"))).unwrap(),
            "Arles"
        );
    }

    #[test]
    fn a_leap_second_or_a_year_past_2100_is_refused() {
        assert_eq!(Instant::parse("2027-06-30T23:59:60Z"), Err(LEAP_SECOND_MESSAGE));
        assert_eq!(
            Instant::parse("9999-12-31T23:59:59+01:00"),
            Err(super::super::dates::OUT_OF_RANGE)
        );
        assert!(Instant::parse("2027-01-12T14:00:00+01:00").is_ok());
    }
}
