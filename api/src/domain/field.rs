//! One field of a configuration form or API body (a place, a reason, a workshop), checked
//! the same way whichever edge it came from, with the French words shown beside the field.
/// A field's value that is refused, with what to tell the agent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct FieldProblem {
    /// The field's name, the same in the API body and in the page's form.
    pub field: &'static str,
    pub message: String,
}

impl FieldProblem {
    pub(crate) fn new(field: &'static str, message: impl Into<String>) -> FieldProblem {
        FieldProblem {
            field,
            message: message.into(),
        }
    }
}

/// Collects the problems of one form, to report them all at once.
#[derive(Debug, Default)]
pub(crate) struct Problems(pub Vec<FieldProblem>);

impl Problems {
    /// The value when acceptable; the problem is kept otherwise.
    pub(crate) fn take<T>(&mut self, checked: Result<T, FieldProblem>) -> Option<T> {
        checked.map_err(|p| self.0.push(p)).ok()
    }

    pub(crate) fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, Vec<FieldProblem>> {
        if self.0.is_empty() { Ok(value()) } else { Err(self.0) }
    }
}

/// Required text of at most `max` characters, trimmed; one line unless `multiline`.
pub(crate) fn required(
    field: &'static str,
    raw: &str,
    max: usize,
    multiline: bool,
    missing: &str,
) -> Result<String, FieldProblem> {
    match optional(field, Some(raw), max, multiline)? {
        Some(text) => Ok(text),
        None => Err(FieldProblem::new(field, missing)),
    }
}

/// Optional text: blank is `None`; at most `max` characters; one line unless `multiline`.
pub(crate) fn optional(
    field: &'static str,
    raw: Option<&str>,
    max: usize,
    multiline: bool,
) -> Result<Option<String>, FieldProblem> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if !super::text::acceptable(text, multiline) {
        return Err(FieldProblem::new(field, super::text::CONTROL_MESSAGE));
    }
    if text.chars().count() > max {
        return Err(FieldProblem::new(
            field,
            format!("Ce texte est trop long : {max} caractères au plus."),
        ));
    }
    Ok(Some(text.to_string()))
}

/// A whole number within `min..=max`.
pub(crate) fn within(field: &'static str, value: i32, min: i32, max: i32, message: &str) -> Result<i32, FieldProblem> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(FieldProblem::new(field, message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(
            required("name", "  Le Sambuc ", 10, false, "Nom ?"),
            Ok("Le Sambuc".into())
        );
        assert_eq!(
            required("name", "   ", 10, false, "Nom ?").unwrap_err().message,
            "Nom ?"
        );
        assert!(required("name", "abcdefghijk", 10, false, "Nom ?").is_err());
        assert!(optional("notes", Some("ligne 1\nligne 2"), 50, true).unwrap().is_some());
        assert!(optional("name", Some("ligne 1\nligne 2"), 50, false).is_err());
        assert_eq!(optional("notes", Some("  "), 50, true), Ok(None));
    }

    #[test]
    fn problems_are_all_kept() {
        let mut p = Problems::default();
        assert_eq!(p.take(within("desks", 0, 1, 20, "1 à 20")), None);
        assert_eq!(p.take(required("name", "", 10, false, "Nom ?")), None);
        assert_eq!(p.into_result(|| ()).unwrap_err().len(), 2);
    }
}
