//! The answers of one survey, read from what the page sent: every problem stated in French
//! for its field. Only the overall smiley is required (as in the State's form).
use entities::survey_answer::{HELP_KINDS, Smiley};

/// Longest free text kept.
pub const COMMENT_MAX: usize = 2000;

/// What the person sent, as text.
#[derive(Debug, Default, Clone)]
pub(crate) struct Raw<'a> {
    pub smiley: Option<&'a str>,
    pub clarity: Option<&'a str>,
    pub help: Vec<&'a str>,
    pub reached: Option<&'a str>,
    pub quality: Option<&'a str>,
    pub comment: Option<&'a str>,
}

/// Answers ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answers {
    pub smiley: Smiley,
    pub clarity: Option<i32>,
    pub help_used: Vec<&'static str>,
    pub reached_administration: Option<bool>,
    pub help_quality: Option<i32>,
    pub comment: Option<String>,
}

/// A problem with one field: its name in the form, and the message.
pub(crate) type FieldProblem = (&'static str, &'static str);

fn mark(v: Option<&str>, field: &'static str, message: &'static str) -> Result<Option<i32>, FieldProblem> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => match v.parse::<i32>() {
            Ok(n) if (1..=5).contains(&n) => Ok(Some(n)),
            _ => Err((field, message)),
        },
    }
}

/// Reads the answers; every problem at once.
pub(crate) fn parse(raw: &Raw<'_>) -> Result<Answers, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let smiley = match raw.smiley.map(str::trim) {
        Some("bad") => Some(Smiley::Bad),
        Some("average") => Some(Smiley::Average),
        Some("good") => Some(Smiley::Good),
        _ => {
            problems.push((
                "smiley",
                "Dites-nous comment ça s'est passé : choisissez une des trois réponses.",
            ));
            None
        }
    };
    let clarity = mark(raw.clarity, "clarity", "Choisissez une note de 1 à 5.")
        .map_err(|p| problems.push(p))
        .ok()
        .flatten();
    let mut help_used = Vec::new();
    for h in &raw.help {
        match HELP_KINDS.iter().find(|k| **k == h.trim()) {
            Some(k) if !help_used.contains(k) => help_used.push(*k),
            Some(_) => {}
            None => {
                problems.push(("help", "Cochez seulement les aides de la liste."));
                break;
            }
        }
    }
    if help_used.contains(&"aucune") && help_used.len() > 1 {
        problems.push((
            "help",
            "Vous avez coché « je n'ai pas eu besoin d'aide » et une aide : gardez l'un ou l'autre.",
        ));
    }
    let reached_administration = match raw.reached.map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some("oui") => Some(true),
        Some("non") => Some(false),
        Some(_) => {
            problems.push(("reached", "Répondez oui ou non."));
            None
        }
    };
    let help_quality = mark(raw.quality, "quality", "Choisissez un des cinq niveaux.")
        .map_err(|p| problems.push(p))
        .ok()
        .flatten();
    let comment = raw.comment.map(str::trim).filter(|c| !c.is_empty());
    if comment.is_some_and(|c| c.chars().count() > COMMENT_MAX) {
        problems.push(("comment", "Votre message est trop long : 2 000 caractères au plus."));
    }
    match smiley {
        Some(smiley) if problems.is_empty() => Ok(Answers {
            smiley,
            clarity,
            help_used,
            reached_administration,
            help_quality,
            comment: comment.map(str::to_string),
        }),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smiley_alone_is_enough() {
        let a = parse(&Raw {
            smiley: Some("good"),
            ..Raw::default()
        })
        .unwrap();
        assert_eq!(a.smiley, Smiley::Good);
        assert_eq!(a.clarity, None);
        assert!(a.help_used.is_empty());
    }

    #[test]
    fn without_a_smiley_the_form_says_so_in_french() {
        let e = parse(&Raw {
            clarity: Some("4"),
            ..Raw::default()
        })
        .unwrap_err();
        assert_eq!(e[0].0, "smiley");
        assert!(e[0].1.contains("choisissez une des trois réponses"));
    }

    #[test]
    fn tampered_values_are_refused_each_beside_its_field() {
        let e = parse(&Raw {
            smiley: Some("great"),
            clarity: Some("9"),
            help: vec!["guichet", "fax"],
            reached: Some("peut-être"),
            quality: Some("0"),
            comment: Some(&"a".repeat(COMMENT_MAX + 1)),
        })
        .unwrap_err();
        let fields: Vec<_> = e.iter().map(|p| p.0).collect();
        assert_eq!(fields, ["smiley", "clarity", "help", "reached", "quality", "comment"]);
    }

    #[test]
    fn no_help_needed_cannot_go_with_a_help() {
        let e = parse(&Raw {
            smiley: Some("bad"),
            help: vec!["aucune", "proche"],
            ..Raw::default()
        })
        .unwrap_err();
        assert_eq!(e[0].0, "help");
        let a = parse(&Raw {
            smiley: Some("average"),
            help: vec!["proche", "guichet", "proche"],
            reached: Some("oui"),
            quality: Some("5"),
            comment: Some("  Très bien expliqué.  "),
            ..Raw::default()
        })
        .unwrap();
        assert_eq!(a.help_used, ["proche", "guichet"]);
        assert_eq!(a.reached_administration, Some(true));
        assert_eq!(a.help_quality, Some(5));
        assert_eq!(a.comment.as_deref(), Some("Très bien expliqué."));
    }
}
