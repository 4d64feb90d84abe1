//! Completing a record: what the mediator sends (codes as plain text, from the API or the
//! console's form), read strictly into the record's fields. Every problem is reported at
//! once, each with its field and a French message; nothing is written unless all is right.
use entities::activity_record::{
    Autonomie, Genre, Materiel, Niveau, RecordKind, StatutSocial, Structure, Theme, TrancheAge, TypeLieu,
};

use super::codes::{Coded, parse_set};
use super::communes::{self, Residence};
use crate::domain::text::acceptable;

/// Completing a record (the API's body; the console's form is read into the same). Codes
/// are those of the reference, as plain text until read strictly here: an unknown one is
/// refused with 422 and a French message naming the field. Individual records need
/// `type_lieu` and `autonomie` (and `structure` when `oriente`); collective records need
/// `titre_atelier` and take no individual field nor profile.
#[derive(Debug, Clone, Default, poem_openapi::Object)]
pub(crate) struct RecordInput {
    /// Duration in minutes, 1 to 720.
    pub duration_minutes: i32,
    /// Theme codes, at least one.
    pub themes: Vec<String>,
    /// Equipment codes, at least one (`aucun` alone).
    pub materiel: Vec<String>,
    /// `lieu_activite`, `domicile`, `a_distance` or `autre` (individual records).
    #[oai(skip_serializing_if_is_none)]
    pub type_lieu: Option<String>,
    /// `entierement_accompagne`, `partiellement_autonome` or `autonome` (individual records).
    #[oai(skip_serializing_if_is_none)]
    pub autonomie: Option<String>,
    /// The person was sent on to another organisation (individual records).
    #[oai(default)]
    pub oriente: bool,
    /// Where to, when `oriente`: a `structureDeRedirection` code (ignored otherwise).
    #[oai(skip_serializing_if_is_none)]
    pub structure: Option<String>,
    /// About the administrative procedure (individual records), 2000 characters at most.
    #[oai(skip_serializing_if_is_none)]
    pub precisions: Option<String>,
    /// The workshop's title (collective records).
    #[oai(skip_serializing_if_is_none)]
    pub titre_atelier: Option<String>,
    /// `debutant`, `intermediaire` or `avance` (collective records).
    #[oai(skip_serializing_if_is_none)]
    pub niveau: Option<String>,
    /// People present, 1 to 500 (collective records); absent: the count from attendance.
    #[oai(skip_serializing_if_is_none)]
    pub participants: Option<i32>,
    /// The mediator's notes, 4000 characters at most.
    #[oai(skip_serializing_if_is_none)]
    pub notes: Option<String>,
    /// Profile (individual records, all optional): `masculin`, `feminin`, `non_communique`.
    #[oai(skip_serializing_if_is_none)]
    pub genre: Option<String>,
    /// A `trancheAge` code.
    #[oai(skip_serializing_if_is_none)]
    pub tranche_age: Option<String>,
    /// A `statutSocial` code.
    #[oai(skip_serializing_if_is_none)]
    pub statut_social: Option<String>,
    /// Commune of residence, in Bouches-du-Rhône, Gard or Vaucluse: its name (`Arles`,
    /// `St Martin de Crau`), its postal code (`13310`) or both (`Arles (13280)`); stored
    /// with its INSEE code. Unknown: 422.
    #[oai(skip_serializing_if_is_none)]
    pub commune: Option<String>,
    /// Its postal code, five digits: picks among a commune's postal codes, or names the
    /// commune alone.
    #[oai(skip_serializing_if_is_none)]
    pub commune_postal_code: Option<String>,
    /// The person's first accompaniment.
    #[oai(skip_serializing_if_is_none)]
    pub first_time: Option<bool>,
}

/// The fields of a completed record, every code known, every rule of its kind met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Completion {
    pub duration_minutes: i32,
    pub themes: Vec<Theme>,
    pub materiel: Vec<Materiel>,
    pub type_lieu: Option<TypeLieu>,
    pub autonomie: Option<Autonomie>,
    pub oriente: Option<bool>,
    pub structure: Option<Structure>,
    pub precisions: Option<String>,
    pub titre_atelier: Option<String>,
    pub niveau: Option<Niveau>,
    /// `None`: keep the count attendance gave.
    pub participants: Option<i32>,
    pub notes: Option<String>,
    pub genre: Option<Genre>,
    pub tranche_age: Option<TrancheAge>,
    pub statut_social: Option<StatutSocial>,
    /// The commune of residence, found in the table (INSEE code, name, postal code).
    pub commune: Option<Residence>,
    pub first_time: Option<bool>,
}

/// One problem with one field (its name in the API body and in the form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldProblem {
    pub field: &'static str,
    pub message: String,
}

#[derive(Default)]
struct Problems(Vec<FieldProblem>);

impl Problems {
    fn add(&mut self, field: &'static str, message: impl Into<String>) {
        if !self.0.iter().any(|p| p.field == field) {
            self.0.push(FieldProblem {
                field,
                message: message.into(),
            });
        }
    }

    fn code<T: Coded>(&mut self, field: &'static str, raw: &Option<String>, what: &str) -> Option<T> {
        let raw = raw.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
        let parsed = T::parse(raw);
        if parsed.is_none() {
            self.add(
                field,
                format!("{what} inconnu(e) : « {raw} ». Choisissez une valeur de la liste."),
            );
        }
        parsed
    }

    fn text(&mut self, field: &'static str, raw: &Option<String>, max: usize, multiline: bool) -> Option<String> {
        let raw = raw.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
        if !acceptable(raw, multiline) {
            self.add(field, crate::domain::text::CONTROL_MESSAGE);
        } else if raw.chars().count() > max {
            self.add(field, format!("Ce texte est trop long : {max} caractères au plus."));
        }
        Some(raw.to_string())
    }

    fn refuse_if(&mut self, present: bool, field: &'static str, message: &str) {
        if present {
            self.add(field, message);
        }
    }
}

const ONLY_INDIVIDUAL: &str = "Ce champ ne concerne que les accompagnements individuels.";
const ONLY_COLLECTIVE: &str = "Ce champ ne concerne que les ateliers collectifs.";

impl Completion {
    /// Reads `input` for a record of `kind`, or says every problem.
    pub(crate) fn parse(kind: RecordKind, input: &RecordInput) -> Result<Completion, Vec<FieldProblem>> {
        let mut p = Problems::default();
        if !(1..=720).contains(&input.duration_minutes) {
            p.add("duration_minutes", "La durée va de 1 à 720 minutes.");
        }
        let themes: Vec<Theme> = match parse_set(&input.themes) {
            Ok(t) if t.is_empty() => {
                p.add("themes", "Cochez au moins une thématique.");
                t
            }
            Ok(t) => t,
            Err(code) => {
                p.add("themes", format!("Thématique inconnue : « {code} »."));
                Vec::new()
            }
        };
        let materiel: Vec<Materiel> = match parse_set(&input.materiel) {
            Ok(m) if m.is_empty() => {
                p.add("materiel", "Cochez le matériel utilisé, ou « Aucun matériel ».");
                m
            }
            Ok(m) if m.len() > 1 && m.contains(&Materiel::Aucun) => {
                p.add("materiel", "« Aucun matériel » ne va pas avec un autre matériel.");
                m
            }
            Ok(m) => m,
            Err(code) => {
                p.add("materiel", format!("Matériel inconnu : « {code} »."));
                Vec::new()
            }
        };
        let type_lieu = p.code::<TypeLieu>("type_lieu", &input.type_lieu, "Lieu");
        let autonomie = p.code::<Autonomie>("autonomie", &input.autonomie, "Autonomie");
        let structure = p.code::<Structure>("structure", &input.structure, "Structure");
        let niveau = p.code::<Niveau>("niveau", &input.niveau, "Niveau");
        let genre = p.code::<Genre>("genre", &input.genre, "Genre");
        let tranche_age = p.code::<TrancheAge>("tranche_age", &input.tranche_age, "Tranche d'âge");
        let statut_social = p.code::<StatutSocial>("statut_social", &input.statut_social, "Statut");
        let precisions = p.text("precisions", &input.precisions, 2000, true);
        let titre_atelier = p.text("titre_atelier", &input.titre_atelier, 200, false);
        let notes = p.text("notes", &input.notes, 4000, true);
        let commune_text = p.text("commune", &input.commune, 100, false);
        let commune_postal_code = p.text("commune_postal_code", &input.commune_postal_code, 5, false);
        let postal_ok = match &commune_postal_code {
            Some(code) if code.len() != 5 || !code.bytes().all(|b| b.is_ascii_digit()) => {
                p.add("commune_postal_code", "Le code postal a 5 chiffres (exemple : 13200).");
                false
            }
            _ => true,
        };
        let commune = match (&commune_text, &commune_postal_code) {
            (None, None) => None,
            _ if !postal_ok || p.0.iter().any(|x| x.field == "commune") => None,
            (typed, code) => {
                let typed = typed.as_deref().unwrap_or_default();
                match communes::resolve(typed, code.as_deref()) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        p.add("commune", e.to_string());
                        None
                    }
                }
            }
        };
        let profile_given = genre.is_some()
            || tranche_age.is_some()
            || statut_social.is_some()
            || commune_text.is_some()
            || commune_postal_code.is_some()
            || input.first_time.is_some();

        let completion = match kind {
            RecordKind::Individuel => {
                if type_lieu.is_none() && !p.0.iter().any(|x| x.field == "type_lieu") {
                    p.add("type_lieu", "Indiquez où l'accompagnement a eu lieu.");
                }
                if autonomie.is_none() && !p.0.iter().any(|x| x.field == "autonomie") {
                    p.add("autonomie", "Indiquez l'autonomie de la personne.");
                }
                if input.oriente && structure.is_none() && !p.0.iter().any(|x| x.field == "structure") {
                    p.add("structure", "Indiquez vers quelle structure la personne est orientée.");
                }
                p.refuse_if(titre_atelier.is_some(), "titre_atelier", ONLY_COLLECTIVE);
                p.refuse_if(input.niveau.is_some(), "niveau", ONLY_COLLECTIVE);
                p.refuse_if(
                    input.participants.is_some_and(|n| n != 1),
                    "participants",
                    ONLY_COLLECTIVE,
                );
                Completion {
                    duration_minutes: input.duration_minutes,
                    themes,
                    materiel,
                    type_lieu,
                    autonomie,
                    oriente: Some(input.oriente),
                    // Only said of a person sent on; a choice left behind otherwise is dropped.
                    structure: structure.filter(|_| input.oriente),
                    precisions,
                    titre_atelier: None,
                    niveau: None,
                    participants: None,
                    notes,
                    genre,
                    tranche_age,
                    statut_social,
                    commune,
                    first_time: input.first_time,
                }
            }
            RecordKind::Collectif => {
                if titre_atelier.is_none() {
                    p.add("titre_atelier", "Indiquez le titre de l'atelier.");
                }
                if input.participants.is_some_and(|n| !(1..=500).contains(&n)) {
                    p.add("participants", "Le nombre de participants va de 1 à 500.");
                }
                p.refuse_if(input.type_lieu.is_some(), "type_lieu", ONLY_INDIVIDUAL);
                p.refuse_if(input.autonomie.is_some(), "autonomie", ONLY_INDIVIDUAL);
                p.refuse_if(input.oriente || input.structure.is_some(), "structure", ONLY_INDIVIDUAL);
                p.refuse_if(precisions.is_some(), "precisions", ONLY_INDIVIDUAL);
                p.refuse_if(
                    profile_given,
                    "genre",
                    "Le profil de la personne ne se remplit que pour un accompagnement individuel.",
                );
                Completion {
                    duration_minutes: input.duration_minutes,
                    themes,
                    materiel,
                    type_lieu: None,
                    autonomie: None,
                    oriente: None,
                    structure: None,
                    precisions: None,
                    titre_atelier,
                    niveau,
                    participants: input.participants,
                    notes,
                    genre: None,
                    tranche_age: None,
                    statut_social: None,
                    commune: None,
                    first_time: None,
                }
            }
        };
        if p.0.is_empty() { Ok(completion) } else { Err(p.0) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn individual() -> RecordInput {
        RecordInput {
            duration_minutes: 30,
            themes: vec!["social_sante".into()],
            materiel: vec!["ordinateur".into()],
            type_lieu: Some("lieu_activite".into()),
            autonomie: Some("partiellement_autonome".into()),
            ..Default::default()
        }
    }

    fn fields(r: Result<Completion, Vec<FieldProblem>>) -> Vec<&'static str> {
        r.unwrap_err().into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn an_individual_record_needs_place_type_and_autonomy_and_reads_codes_strictly() {
        let c = Completion::parse(RecordKind::Individuel, &individual()).unwrap();
        assert_eq!(c.themes, [Theme::SocialSante]);
        assert_eq!(c.autonomie, Some(Autonomie::PartiellementAutonome));
        assert_eq!(c.oriente, Some(false));

        let bad = RecordInput {
            themes: vec!["social".into()],
            materiel: vec!["aucun".into(), "tablette".into()],
            type_lieu: None,
            autonomie: Some("Autonome".into()),
            duration_minutes: 0,
            oriente: true,
            ..individual()
        };
        assert_eq!(
            fields(Completion::parse(RecordKind::Individuel, &bad)),
            [
                "duration_minutes",
                "themes",
                "materiel",
                "autonomie",
                "type_lieu",
                "structure"
            ]
        );
    }

    #[test]
    fn a_structure_counts_only_for_a_person_sent_on() {
        let c = Completion::parse(
            RecordKind::Individuel,
            &RecordInput {
                structure: Some("aide_sociale".into()),
                ..individual()
            },
        )
        .unwrap();
        assert_eq!(c.structure, None);
        let c = Completion::parse(
            RecordKind::Individuel,
            &RecordInput {
                oriente: true,
                structure: Some("aide_sociale".into()),
                ..individual()
            },
        )
        .unwrap();
        assert_eq!(c.structure, Some(Structure::AideSociale));
    }

    #[test]
    fn a_collective_record_needs_a_title_and_refuses_the_individual_fields() {
        let group = RecordInput {
            type_lieu: None,
            autonomie: None,
            titre_atelier: Some("Créer son adresse e-mail".into()),
            niveau: Some("debutant".into()),
            participants: Some(6),
            ..individual()
        };
        let c = Completion::parse(RecordKind::Collectif, &group).unwrap();
        assert_eq!((c.niveau, c.participants), (Some(Niveau::Debutant), Some(6)));
        let wrong = RecordInput {
            titre_atelier: None,
            participants: Some(0),
            autonomie: Some("autonome".into()),
            genre: Some("feminin".into()),
            ..group
        };
        assert_eq!(
            fields(Completion::parse(RecordKind::Collectif, &wrong)),
            ["titre_atelier", "participants", "autonomie", "genre"]
        );
    }

    #[test]
    fn the_profile_is_optional_and_its_postal_code_has_five_digits() {
        let c = Completion::parse(
            RecordKind::Individuel,
            &RecordInput {
                genre: Some("feminin".into()),
                tranche_age: Some("soixante_dix_plus".into()),
                commune: Some("Arles".into()),
                commune_postal_code: Some("13200".into()),
                first_time: Some(true),
                ..individual()
            },
        )
        .unwrap();
        assert_eq!(c.tranche_age, Some(TrancheAge::SoixanteDixPlus));
        assert_eq!(c.commune.map(|r| (r.insee, r.postal_code)), Some(("13004", "13200")));
        let bad = RecordInput {
            commune_postal_code: Some("132".into()),
            ..individual()
        };
        assert_eq!(
            fields(Completion::parse(RecordKind::Individuel, &bad)),
            ["commune_postal_code"]
        );
        let unknown = RecordInput {
            commune: Some("Arle".into()),
            ..individual()
        };
        assert_eq!(fields(Completion::parse(RecordKind::Individuel, &unknown)), ["commune"]);
        let by_code = Completion::parse(
            RecordKind::Individuel,
            &RecordInput {
                commune_postal_code: Some("13310".into()),
                ..individual()
            },
        )
        .unwrap();
        assert_eq!(by_code.commune.map(|r| r.insee), Some("13097"));
    }
}
