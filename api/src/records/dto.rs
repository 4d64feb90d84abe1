//! What the records API reads and answers.
use chrono::{DateTime, NaiveDate, Utc};
use entities::activity_record::{
    self, Autonomie, Genre, Materiel, Niveau, RecordKind, RecordStatus, StatutSocial, Structure, Theme, TrancheAge,
    TypeLieu,
};
use poem_openapi::Object;

use super::{codes::stored_set, completion::RecordInput};

/// An activity record, in the fields and codes of La Coop de la médiation numérique.
#[derive(Object, Debug, Clone)]
pub(crate) struct ActivityRecord {
    pub id: i32,
    /// `individuel` (an appointment) or `collectif` (a workshop session).
    pub kind: RecordKind,
    /// `draft` (pre-filled, to complete), `completed` or `declined`.
    pub status: RecordStatus,
    /// The place where it happened (the lieu d'activité).
    pub place_id: i32,
    /// The appointment it records (individual records).
    pub appointment_id: Option<i32>,
    /// The session it records (collective records).
    pub session_id: Option<i32>,
    /// The day, in the organisation's zone.
    pub date: NaiveDate,
    /// Duration in minutes.
    pub duration_minutes: i32,
    /// `thematiques`, each a code of the reference.
    pub themes: Vec<Theme>,
    /// `materiel` used.
    pub materiel: Vec<Materiel>,
    /// `typeLieu` (individual records).
    pub type_lieu: Option<TypeLieu>,
    /// `autonomie` (individual records).
    pub autonomie: Option<Autonomie>,
    /// `orienteVersStructure` (individual records).
    pub oriente: Option<bool>,
    /// `structureDeRedirection`, when the person was sent on.
    pub structure: Option<Structure>,
    /// `precisionsDemarche`: about the administrative procedure.
    pub precisions: Option<String>,
    /// `titreAtelier` (collective records).
    pub titre_atelier: Option<String>,
    /// `niveau` (collective records).
    pub niveau: Option<Niveau>,
    /// People accompanied: 1 for an individual record, those present for a session.
    pub participants: i32,
    /// The mediator's notes.
    pub notes: Option<String>,
    /// Beneficiary profile (individual records, optional): `genre`.
    pub genre: Option<Genre>,
    /// `trancheAge`.
    pub tranche_age: Option<TrancheAge>,
    /// `statutSocial`.
    pub statut_social: Option<StatutSocial>,
    /// Commune of residence.
    pub commune: Option<String>,
    /// Its postal code.
    pub commune_postal_code: Option<String>,
    /// The person's first accompaniment.
    pub first_time: Option<bool>,
    /// The staff member who completed or declined it.
    pub completed_by_staff_id: Option<i32>,
    /// When it was completed or declined.
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ActivityRecord {
    pub(crate) fn from_model(r: activity_record::Model) -> Result<ActivityRecord, sea_orm::DbErr> {
        Ok(ActivityRecord {
            themes: stored_set(&r.themes)?,
            materiel: stored_set(&r.materiel)?,
            id: r.id,
            kind: r.kind,
            status: r.status,
            place_id: r.place_id,
            appointment_id: r.appointment_id,
            session_id: r.session_id,
            date: r.date,
            duration_minutes: r.duration_minutes,
            type_lieu: r.type_lieu,
            autonomie: r.autonomie,
            oriente: r.oriente,
            structure: r.structure,
            precisions: r.precisions,
            titre_atelier: r.titre_atelier,
            niveau: r.niveau,
            participants: r.participants,
            notes: r.notes,
            genre: r.genre,
            tranche_age: r.tranche_age,
            statut_social: r.statut_social,
            commune: r.commune,
            commune_postal_code: r.commune_postal_code,
            first_time: r.first_time,
            completed_by_staff_id: r.completed_by_staff_id,
            completed_at: r.completed_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// Completing a record. Codes are those of the reference, read strictly: an unknown one is
/// refused with 422 and a French message naming the field. Individual records need
/// `type_lieu` and `autonomie` (and `structure` when `oriente`); collective records need
/// `titre_atelier` and take no individual field nor profile.
#[derive(Object, Debug, Clone)]
pub(crate) struct RecordCompletion {
    /// Duration in minutes, 1 to 720.
    pub duration_minutes: i32,
    /// Theme codes, at least one.
    pub themes: Vec<String>,
    /// Equipment codes, at least one (`aucun` alone).
    pub materiel: Vec<String>,
    /// `lieu_activite`, `domicile`, `a_distance` or `autre` (individual records).
    pub type_lieu: Option<String>,
    /// `entierement_accompagne`, `partiellement_autonome` or `autonome` (individual records).
    pub autonomie: Option<String>,
    /// The person was sent on to another organisation (individual records).
    #[oai(default)]
    pub oriente: bool,
    /// Where to, when `oriente`: a `structureDeRedirection` code (ignored otherwise).
    pub structure: Option<String>,
    /// About the administrative procedure (individual records), 2000 characters at most.
    pub precisions: Option<String>,
    /// The workshop's title (collective records).
    pub titre_atelier: Option<String>,
    /// `debutant`, `intermediaire` or `avance` (collective records).
    pub niveau: Option<String>,
    /// People present, 1 to 500 (collective records); absent: the count from attendance.
    pub participants: Option<i32>,
    /// The mediator's notes, 4000 characters at most.
    pub notes: Option<String>,
    /// Profile (individual records, all optional): `masculin`, `feminin`, `non_communique`.
    pub genre: Option<String>,
    /// A `trancheAge` code.
    pub tranche_age: Option<String>,
    /// A `statutSocial` code.
    pub statut_social: Option<String>,
    /// Commune of residence.
    pub commune: Option<String>,
    /// Its postal code, five digits.
    pub commune_postal_code: Option<String>,
    /// The person's first accompaniment.
    pub first_time: Option<bool>,
}

impl From<RecordCompletion> for RecordInput {
    fn from(c: RecordCompletion) -> RecordInput {
        RecordInput {
            duration_minutes: c.duration_minutes,
            themes: c.themes,
            materiel: c.materiel,
            type_lieu: c.type_lieu,
            autonomie: c.autonomie,
            oriente: c.oriente,
            structure: c.structure,
            precisions: c.precisions,
            titre_atelier: c.titre_atelier,
            niveau: c.niveau,
            participants: c.participants,
            notes: c.notes,
            genre: c.genre,
            tranche_age: c.tranche_age,
            statut_social: c.statut_social,
            commune: c.commune,
            commune_postal_code: c.commune_postal_code,
            first_time: c.first_time,
        }
    }
}

/// The themes of a reason or a workshop, which its records are pre-filled with.
#[derive(Object, Debug, Clone)]
pub(crate) struct MappedThemes {
    /// Theme codes (an unknown code is refused with 422); empty: none.
    pub themes: Vec<String>,
}

/// The themes of a reason or a workshop, as stored.
#[derive(Object, Debug, Clone)]
pub(crate) struct ThemesOf {
    /// The motif's or workshop's id.
    pub id: i32,
    /// Its label or title.
    pub name: String,
    /// Its themes, in the reference's order.
    pub themes: Vec<Theme>,
}
