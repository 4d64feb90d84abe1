//! The closed sets of the activity record (their codes are the entities' enums, exactly as
//! La Coop de la médiation numérique spells them) with their French labels, the strict
//! reading of a code or a set of codes, and how a workshop's free `level` maps to `niveau`.
use entities::activity_record::{
    Autonomie, Genre, Materiel, Niveau, RecordKind, StatutSocial, Structure, Theme, TrancheAge, TypeLieu,
};
use sea_orm::{ActiveEnum, Iterable};

use crate::domain::contact::name_key;

/// A closed set of codes with a French label for each.
pub(crate) trait Coded: ActiveEnum<Value = String> + Iterable + Copy + Ord + 'static {
    /// The French words shown to staff.
    fn label(self) -> &'static str;

    /// The code, as stored and published.
    fn code(self) -> String {
        self.to_value()
    }

    /// Reads one code strictly (exact, lowercase): anything else is `None`.
    fn parse(code: &str) -> Option<Self> {
        Self::iter().find(|v| v.to_value() == code)
    }
}

/// Reads a list of codes, each strictly; answers them sorted, each once, or the first
/// unknown one.
pub(crate) fn parse_set<T: Coded, S: AsRef<str>>(codes: &[S]) -> Result<Vec<T>, String> {
    let mut out = Vec::with_capacity(codes.len());
    for c in codes {
        let c = c.as_ref();
        out.push(T::parse(c).ok_or_else(|| c.to_string())?);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// A set as its text column: codes joined by commas.
pub(crate) fn join_set<T: Coded>(set: &[T]) -> String {
    set.iter().map(|v| v.code()).collect::<Vec<_>>().join(",")
}

/// A text column of codes read back; an unknown code is a database error, never dropped.
pub(crate) fn stored_set<T: Coded>(column: &str) -> Result<Vec<T>, sea_orm::DbErr> {
    let codes: Vec<&str> = column.split(',').filter(|c| !c.is_empty()).collect();
    parse_set(&codes).map_err(|c| sea_orm::DbErr::Type(format!("unknown code {c:?} in a set column")))
}

/// The niveau a workshop's free-text `level` says: folded (case, accents), "avancé" first,
/// then "intermédiaire", then anything with "débutant" ("Grand débutant" included); any
/// other text says nothing and the mediator chooses.
pub(crate) fn niveau_from_level(level: &str) -> Option<Niveau> {
    let folded = name_key(level);
    if folded.contains("avance") || folded.contains("confirme") {
        Some(Niveau::Avance)
    } else if folded.contains("intermediaire") {
        Some(Niveau::Intermediaire)
    } else if folded.contains("debutant") || folded.contains("initiation") {
        Some(Niveau::Debutant)
    } else {
        None
    }
}

impl Coded for Theme {
    fn label(self) -> &'static str {
        use Theme::*;
        match self {
            DiagnosticNumerique => "Diagnostic numérique",
            PrendreEnMainDuMateriel => "Prendre en main du matériel",
            MaintenanceDeMateriel => "Entretenir son matériel",
            GereSesContenusNumeriques => "Gérer ses contenus numériques",
            NavigationSurInternet => "Naviguer sur internet",
            Email => "E-mail",
            Bureautique => "Bureautique",
            ReseauxSociaux => "Réseaux sociaux",
            Sante => "Santé",
            BanqueEtAchatsEnLigne => "Banque et achats en ligne",
            Entrepreneuriat => "Entrepreneuriat",
            InsertionProfessionnelle => "Insertion professionnelle",
            SecuriteNumerique => "Sécurité numérique",
            Parentalite => "Parentalité",
            ScolariteEtNumerique => "Scolarité et numérique",
            CreerAvecLeNumerique => "Créer avec le numérique",
            CultureNumerique => "Culture numérique",
            IntelligenceArtificielle => "Intelligence artificielle",
            AideAuxDemarchesAdministratives => "Aide aux démarches administratives",
            PapiersElectionsCitoyennete => "Démarche : papiers, élections, citoyenneté",
            FamilleScolarite => "Démarche : famille, scolarité",
            SocialSante => "Démarche : social, santé",
            TravailFormation => "Démarche : travail, formation",
            Logement => "Démarche : logement",
            TransportsMobilite => "Démarche : transports, mobilité",
            ArgentImpots => "Démarche : argent, impôts",
            Justice => "Démarche : justice",
            EtrangersEurope => "Démarche : étrangers, Europe",
            LoisirsSportsCulture => "Démarche : loisirs, sports, culture",
            Associations => "Démarche : associations",
        }
    }
}

impl Coded for Materiel {
    fn label(self) -> &'static str {
        match self {
            Materiel::Ordinateur => "Ordinateur",
            Materiel::Telephone => "Téléphone",
            Materiel::Tablette => "Tablette",
            Materiel::Autre => "Autre matériel",
            Materiel::Aucun => "Aucun matériel",
        }
    }
}

impl Coded for TypeLieu {
    fn label(self) -> &'static str {
        match self {
            TypeLieu::LieuActivite => "Sur le lieu d'activité",
            TypeLieu::Domicile => "Au domicile de la personne",
            TypeLieu::ADistance => "À distance (téléphone, visio)",
            TypeLieu::Autre => "Ailleurs",
        }
    }
}

impl Coded for Autonomie {
    fn label(self) -> &'static str {
        match self {
            Autonomie::EntierementAccompagne => "Entièrement accompagnée",
            Autonomie::PartiellementAutonome => "Partiellement autonome",
            Autonomie::Autonome => "Autonome",
        }
    }
}

impl Coded for Structure {
    fn label(self) -> &'static str {
        match self {
            Structure::Administration => "Une administration",
            Structure::MediationNumerique => "Une structure de médiation numérique",
            Structure::OperateurOuOrganismeEnCharge => "L'opérateur ou l'organisme en charge",
            Structure::AideSociale => "Une structure d'aide sociale",
            Structure::InsertionProfessionnelle => "Une structure d'insertion professionnelle",
            Structure::AideAuxDemarchesAdministratives => "Une structure d'aide aux démarches administratives",
            Structure::Autre => "Une autre structure",
        }
    }
}

impl Coded for Niveau {
    fn label(self) -> &'static str {
        match self {
            Niveau::Debutant => "Débutant",
            Niveau::Intermediaire => "Intermédiaire",
            Niveau::Avance => "Avancé",
        }
    }
}

impl Coded for Genre {
    fn label(self) -> &'static str {
        match self {
            Genre::Masculin => "Homme",
            Genre::Feminin => "Femme",
            Genre::NonCommunique => "Non communiqué",
        }
    }
}

impl Coded for TrancheAge {
    fn label(self) -> &'static str {
        match self {
            TrancheAge::MoinsDeDouze => "Moins de 12 ans",
            TrancheAge::DouzeDixHuit => "12 à 18 ans",
            TrancheAge::DixHuitVingtQuatre => "18 à 24 ans",
            TrancheAge::VingtCinqTrenteNeuf => "25 à 39 ans",
            TrancheAge::QuaranteCinquanteNeuf => "40 à 59 ans",
            TrancheAge::SoixanteSoixanteNeuf => "60 à 69 ans",
            TrancheAge::SoixanteDixPlus => "70 ans et plus",
            TrancheAge::NonCommunique => "Non communiqué",
        }
    }
}

impl Coded for StatutSocial {
    fn label(self) -> &'static str {
        match self {
            StatutSocial::Scolarise => "Scolarisé",
            StatutSocial::SansEmploi => "Sans emploi",
            StatutSocial::EnEmploi => "En emploi",
            StatutSocial::Retraite => "Retraité",
            StatutSocial::NonCommunique => "Non communiqué",
        }
    }
}

impl Coded for RecordKind {
    fn label(self) -> &'static str {
        match self {
            RecordKind::Individuel => "Accompagnement individuel",
            RecordKind::Collectif => "Atelier collectif",
        }
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::ToJSON;

    use super::*;

    fn codes<T: Coded + ToJSON>() -> Vec<String> {
        T::iter()
            .map(|v| {
                assert_eq!(
                    v.to_json(),
                    Some(serde_json::Value::String(v.code())),
                    "the API publishes the stored code"
                );
                assert!(!v.label().is_empty());
                v.code()
            })
            .collect()
    }

    #[test]
    fn every_closed_set_has_the_exact_codes_of_the_reference() {
        assert_eq!(
            codes::<Theme>(),
            [
                "diagnostic_numerique",
                "prendre_en_main_du_materiel",
                "maintenance_de_materiel",
                "gere_ses_contenus_numeriques",
                "navigation_sur_internet",
                "email",
                "bureautique",
                "reseaux_sociaux",
                "sante",
                "banque_et_achats_en_ligne",
                "entrepreneuriat",
                "insertion_professionnelle",
                "securite_numerique",
                "parentalite",
                "scolarite_et_numerique",
                "creer_avec_le_numerique",
                "culture_numerique",
                "intelligence_artificielle",
                "aide_aux_demarches_administratives",
                "papiers_elections_citoyennete",
                "famille_scolarite",
                "social_sante",
                "travail_formation",
                "logement",
                "transports_mobilite",
                "argent_impots",
                "justice",
                "etrangers_europe",
                "loisirs_sports_culture",
                "associations",
            ]
        );
        assert_eq!(
            codes::<Materiel>(),
            ["ordinateur", "telephone", "tablette", "autre", "aucun"]
        );
        assert_eq!(
            codes::<TypeLieu>(),
            ["lieu_activite", "domicile", "a_distance", "autre"]
        );
        assert_eq!(
            codes::<Autonomie>(),
            ["entierement_accompagne", "partiellement_autonome", "autonome"]
        );
        assert_eq!(
            codes::<Structure>(),
            [
                "administration",
                "mediation_numerique",
                "operateur_ou_organisme_en_charge",
                "aide_sociale",
                "insertion_professionnelle",
                "aide_aux_demarches_administratives",
                "autre",
            ]
        );
        assert_eq!(codes::<Niveau>(), ["debutant", "intermediaire", "avance"]);
        assert_eq!(codes::<Genre>(), ["masculin", "feminin", "non_communique"]);
        assert_eq!(
            codes::<TrancheAge>(),
            [
                "moins_de_douze",
                "douze_dix_huit",
                "dix_huit_vingt_quatre",
                "vingt_cinq_trente_neuf",
                "quarante_cinquante_neuf",
                "soixante_soixante_neuf",
                "soixante_dix_plus",
                "non_communique",
            ]
        );
        assert_eq!(
            codes::<StatutSocial>(),
            ["scolarise", "sans_emploi", "en_emploi", "retraite", "non_communique"]
        );
        assert_eq!(codes::<RecordKind>(), ["individuel", "collectif"]);
    }

    #[test]
    fn codes_are_read_strictly_and_sets_come_back_sorted_once_each() {
        assert_eq!(Theme::parse("email"), Some(Theme::Email));
        assert_eq!(Theme::parse("Email"), None);
        assert_eq!(Theme::parse(" email"), None);
        assert_eq!(
            parse_set::<Theme, _>(&["logement", "email", "logement"]),
            Ok(vec![Theme::Email, Theme::Logement])
        );
        assert_eq!(parse_set::<Theme, _>(&["email", "courriel"]), Err("courriel".into()));
        assert_eq!(join_set(&[Theme::Email, Theme::Logement]), "email,logement");
        assert_eq!(stored_set::<Theme>("").unwrap(), vec![]);
        assert_eq!(
            stored_set::<Theme>("email,logement").unwrap(),
            vec![Theme::Email, Theme::Logement]
        );
        assert!(stored_set::<Theme>("email,inconnu").is_err());
    }

    #[test]
    fn a_workshop_level_maps_to_niveau_when_it_says_one() {
        assert_eq!(niveau_from_level("Débutant"), Some(Niveau::Debutant));
        assert_eq!(niveau_from_level("Grand débutant"), Some(Niveau::Debutant));
        assert_eq!(niveau_from_level("INTERMÉDIAIRE"), Some(Niveau::Intermediaire));
        assert_eq!(niveau_from_level("Avancé"), Some(Niveau::Avance));
        assert_eq!(niveau_from_level("Tous publics"), None);
        assert_eq!(niveau_from_level(""), None);
    }
}
