//! What the records API reads and answers.
use chrono::{DateTime, NaiveDate, Utc};
use entities::activity_record::{
    self, Autonomie, Genre, Materiel, Niveau, RecordKind, RecordStatus, StatutSocial, Structure, Theme, TrancheAge,
    TypeLieu,
};
use poem_openapi::Object;

use super::codes::stored_set;

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
    #[oai(skip_serializing_if_is_none)]
    pub appointment_id: Option<i32>,
    /// The session it records (collective records).
    #[oai(skip_serializing_if_is_none)]
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
    #[oai(skip_serializing_if_is_none)]
    pub type_lieu: Option<TypeLieu>,
    /// `autonomie` (individual records).
    #[oai(skip_serializing_if_is_none)]
    pub autonomie: Option<Autonomie>,
    /// `orienteVersStructure` (individual records).
    #[oai(skip_serializing_if_is_none)]
    pub oriente: Option<bool>,
    /// `structureDeRedirection`, when the person was sent on.
    #[oai(skip_serializing_if_is_none)]
    pub structure: Option<Structure>,
    /// `precisionsDemarche`: about the administrative procedure.
    #[oai(skip_serializing_if_is_none)]
    pub precisions: Option<String>,
    /// `titreAtelier` (collective records).
    #[oai(skip_serializing_if_is_none)]
    pub titre_atelier: Option<String>,
    /// `niveau` (collective records).
    #[oai(skip_serializing_if_is_none)]
    pub niveau: Option<Niveau>,
    /// People accompanied: 1 for an individual record, those present for a session.
    pub participants: i32,
    /// The mediator's notes.
    #[oai(skip_serializing_if_is_none)]
    pub notes: Option<String>,
    /// Beneficiary profile (individual records, optional): `genre`.
    #[oai(skip_serializing_if_is_none)]
    pub genre: Option<Genre>,
    /// `trancheAge`.
    #[oai(skip_serializing_if_is_none)]
    pub tranche_age: Option<TrancheAge>,
    /// `statutSocial`.
    #[oai(skip_serializing_if_is_none)]
    pub statut_social: Option<StatutSocial>,
    /// Commune of residence.
    #[oai(skip_serializing_if_is_none)]
    pub commune: Option<String>,
    /// Its postal code.
    #[oai(skip_serializing_if_is_none)]
    pub commune_postal_code: Option<String>,
    /// Its INSEE code (`13004` for Arles); absent on records completed before it was stored.
    #[oai(skip_serializing_if_is_none)]
    pub commune_insee: Option<String>,
    /// The person's first accompaniment.
    #[oai(skip_serializing_if_is_none)]
    pub first_time: Option<bool>,
    /// The staff member who completed or declined it.
    #[oai(skip_serializing_if_is_none)]
    pub completed_by_staff_id: Option<i32>,
    /// When it was completed or declined.
    #[oai(skip_serializing_if_is_none)]
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
            commune_insee: r.commune_insee,
            first_time: r.first_time,
            completed_by_staff_id: r.completed_by_staff_id,
            completed_at: r.completed_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
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
