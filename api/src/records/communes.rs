//! The commune of residence of an activity record's beneficiary, stored as the reference
//! asks: name, postal code and INSEE code. The mediator types a name ("Arles", "St Martin de
//! Crau"), a postal code ("13310") or picks "Arles (13280)" from the form's list; all three
//! are read here against a committed table.
//!
//! The table (`communes.tsv`: INSEE code, name, postal codes with the commune's own first)
//! holds the communes of Bouches-du-Rhône, Gard and Vaucluse — Arles's neighbours on both
//! banks of the Rhône, Avignon included. It was extracted from the `codes-postaux` package,
//! version 4.1.2 (Base Adresse Nationale, built from INSEE's Code officiel géographique and
//! the DGFiP's FIMOCT): one line per INSEE code, Marseille by arrondissement as there.
use std::sync::OnceLock;

use crate::domain::contact::name_key;

/// One commune of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Commune {
    pub insee: &'static str,
    pub name: &'static str,
    /// Its postal codes, its own (the one named after it) first.
    pub postal_codes: Vec<&'static str>,
}

/// A commune with the postal code the person lives under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Residence {
    pub insee: &'static str,
    pub name: &'static str,
    pub postal_code: &'static str,
}

impl Residence {
    /// How the form shows it, and what its list offers: `Arles (13200)`.
    pub(crate) fn label(&self) -> String {
        format!("{} ({})", self.name, self.postal_code)
    }
}

/// Why what was typed names no commune, in French, for beside the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CommuneError {
    #[error(
        "Commune inconnue : « {0} ». Choisissez-la dans la liste ou tapez son code postal (exemple : 13200). La liste couvre les Bouches-du-Rhône, le Gard et le Vaucluse ; sinon, laissez ce champ vide."
    )]
    Unknown(String),
    #[error("Le code postal {0} couvre plusieurs communes : {1}. Choisissez-en une dans la liste.")]
    Ambiguous(String, String),
    #[error("Plusieurs communes portent ce nom : {0}. Choisissez-en une dans la liste.")]
    Homonyms(String),
}

const TABLE: &str = include_str!("communes.tsv");

/// Every commune of the table, by name.
pub(crate) fn all() -> &'static [Commune] {
    static ALL: OnceLock<Vec<Commune>> = OnceLock::new();
    ALL.get_or_init(|| {
        TABLE
            .lines()
            .filter_map(|line| {
                let mut cols = line.split('\t');
                let (insee, name, codes) = (cols.next()?, cols.next()?, cols.next()?);
                Some(Commune {
                    insee,
                    name,
                    postal_codes: codes.split(',').collect(),
                })
            })
            .collect()
    })
}

/// Every (commune, postal code) pair: the form's list.
pub(crate) fn residences() -> impl Iterator<Item = Residence> {
    all().iter().flat_map(|c| {
        c.postal_codes.iter().map(|p| Residence {
            insee: c.insee,
            name: c.name,
            postal_code: p,
        })
    })
}

/// The name as compared: `name_key` folding, and "St"/"Ste" read as "Saint"/"Sainte".
fn key(name: &str) -> String {
    name_key(name)
        .split(' ')
        .map(|w| match w {
            "st" => "saint",
            "ste" => "sainte",
            w => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_postal_code(s: &str) -> bool {
    s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Splits "Arles (13200)", "13200 Arles", "Arles 13200" or "13200" into name and postal code.
fn split(raw: &str) -> (String, Option<String>) {
    let words: Vec<&str> = raw
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let code = words.iter().find(|w| is_postal_code(w)).map(|w| w.to_string());
    let name: Vec<&str> = words.into_iter().filter(|w| !is_postal_code(w)).collect();
    (name.join(" "), code)
}

/// Reads what the mediator typed (`raw`, and the API's separate postal code if any) into a
/// commune of the table.
pub(crate) fn resolve(raw: &str, postal_code: Option<&str>) -> Result<Residence, CommuneError> {
    let typed = raw.trim();
    let (name, in_text) = split(typed);
    let code = in_text.or_else(|| postal_code.map(str::to_string));
    let wanted = key(&name);
    let unknown = || CommuneError::Unknown(typed.to_string());
    let candidates: Vec<&Commune> = all()
        .iter()
        .filter(|c| wanted.is_empty() || key(c.name) == wanted)
        .filter(|c| code.as_deref().is_none_or(|p| c.postal_codes.contains(&p)))
        .collect();
    let pick = |c: &Commune| Residence {
        insee: c.insee,
        name: c.name,
        postal_code: c
            .postal_codes
            .iter()
            .copied()
            .find(|p| code.as_deref() == Some(*p))
            .unwrap_or(c.postal_codes[0]),
    };
    match (candidates.as_slice(), wanted.is_empty(), &code) {
        ([], _, _) | (_, true, None) => Err(unknown()),
        ([one], _, _) => Ok(pick(one)),
        (many, _, Some(code)) => Err(CommuneError::Ambiguous(
            code.clone(),
            many.iter().map(|c| c.name).collect::<Vec<_>>().join(", "),
        )),
        // Homonyms without a postal code: none in the table today, but a name alone must
        // not pick one at random.
        (many, _, None) => Err(CommuneError::Homonyms(
            many.iter().map(|c| pick(c).label()).collect::<Vec<_>>().join(", "),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insee(raw: &str) -> (&'static str, &'static str) {
        let r = resolve(raw, None).unwrap_or_else(|e| panic!("{raw}: {e}"));
        (r.insee, r.postal_code)
    }

    #[test]
    fn the_communes_around_arles_are_found_by_name_or_postal_code_as_a_mediator_types_them() {
        assert_eq!(insee("Arles"), ("13004", "13200"));
        assert_eq!(insee("arles"), ("13004", "13200"));
        assert_eq!(insee("13200"), ("13004", "13200"));
        assert_eq!(insee("Arles (13280)"), ("13004", "13280"), "Raphèle is in Arles");
        assert_eq!(insee("13129"), ("13004", "13129"), "so is Salin-de-Giraud");
        assert_eq!(insee("St Martin de Crau"), ("13097", "13310"));
        assert_eq!(insee("saint-martin-de-crau"), ("13097", "13310"));
        assert_eq!(insee("Tarascon"), ("13108", "13150"));
        assert_eq!(insee("Fontvieille"), ("13038", "13990"));
        assert_eq!(insee("Port-Saint-Louis-du-Rhône"), ("13078", "13230"));
        assert_eq!(insee("port saint louis du rhone"), ("13078", "13230"));
        assert_eq!(insee("Beaucaire"), ("30032", "30300"));
        assert_eq!(insee("Nîmes"), ("30189", "30000"));
        assert_eq!(insee("84000"), ("84007", "84000"));
        assert_eq!(
            resolve("Saint-Martin-de-Crau", Some("13310")).unwrap().label(),
            "Saint-Martin-de-Crau (13310)"
        );
    }

    #[test]
    fn an_unknown_commune_or_a_shared_postal_code_is_said_in_french() {
        assert!(matches!(resolve("Arle", None), Err(CommuneError::Unknown(_))));
        assert!(matches!(resolve("Paris", None), Err(CommuneError::Unknown(_))));
        assert!(matches!(resolve("Arles (13310)", None), Err(CommuneError::Unknown(_))));
        assert!(matches!(resolve("99999", None), Err(CommuneError::Unknown(_))));
        let Err(CommuneError::Ambiguous(code, names)) = resolve("13011", None) else {
            panic!("13011 is shared by arrondissements of Marseille");
        };
        assert_eq!(code, "13011");
        assert!(names.contains("Marseille 10e Arrondissement"), "{names}");
        assert!(
            CommuneError::Unknown("Arle".into())
                .to_string()
                .starts_with("Commune inconnue : « Arle »")
        );
    }

    #[test]
    fn the_table_gives_every_commune_a_five_digit_insee_code_and_postal_codes() {
        assert!(all().len() > 600);
        for c in all() {
            assert!(is_postal_code(c.insee), "{c:?}");
            assert!(!c.postal_codes.is_empty() && c.postal_codes.iter().all(|p| is_postal_code(p)));
        }
        assert!(residences().any(|r| r.label() == "Arles (13280)"));
    }
}
