//! The activity record of a mediator (compte rendu d'activité), and the closed sets of codes
//! of its fields, exactly as La Coop de la médiation numérique stores them (see
//! `/work/shared/reference/activity-record.md`). Multi-valued fields (themes, equipment) are
//! text columns of comma-separated codes, read strictly by `creneau::records::codes`.
use sea_orm::entity::prelude::*;

/// `type`: one person (an appointment) or a group (a workshop session).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, poem_openapi::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum RecordKind {
    /// One person: an appointment.
    Individuel,
    /// A group: a workshop session.
    Collectif,
}

/// Where a record stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, poem_openapi::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum RecordStatus {
    /// Pre-filled by Créneau, waiting for the mediator.
    Draft,
    /// Completed by a mediator.
    Completed,
    /// The mediator chose not to record it.
    Declined,
}

/// `thematiques`: digital skills and administrative procedures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, poem_openapi::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum Theme {
    DiagnosticNumerique,
    PrendreEnMainDuMateriel,
    MaintenanceDeMateriel,
    GereSesContenusNumeriques,
    NavigationSurInternet,
    Email,
    Bureautique,
    ReseauxSociaux,
    Sante,
    BanqueEtAchatsEnLigne,
    Entrepreneuriat,
    InsertionProfessionnelle,
    SecuriteNumerique,
    Parentalite,
    ScolariteEtNumerique,
    CreerAvecLeNumerique,
    CultureNumerique,
    IntelligenceArtificielle,
    AideAuxDemarchesAdministratives,
    PapiersElectionsCitoyennete,
    FamilleScolarite,
    SocialSante,
    TravailFormation,
    Logement,
    TransportsMobilite,
    ArgentImpots,
    Justice,
    EtrangersEurope,
    LoisirsSportsCulture,
    Associations,
}

/// `materiel`: the equipment used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, poem_openapi::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum Materiel {
    Ordinateur,
    Telephone,
    Tablette,
    Autre,
    Aucun,
}

/// `typeLieu`: where an individual accompaniment took place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, poem_openapi::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum TypeLieu {
    /// At a registered place (the appointment's place).
    LieuActivite,
    Domicile,
    #[sea_orm(string_value = "a_distance")]
    #[oai(rename = "a_distance")]
    ADistance,
    Autre,
}

/// `autonomie`: how autonomous the person was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, poem_openapi::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum Autonomie {
    EntierementAccompagne,
    PartiellementAutonome,
    Autonome,
}

/// `structureDeRedirection`: where the person was sent on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, poem_openapi::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum Structure {
    Administration,
    MediationNumerique,
    OperateurOuOrganismeEnCharge,
    AideSociale,
    InsertionProfessionnelle,
    AideAuxDemarchesAdministratives,
    Autre,
}

/// `niveau` of a workshop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, poem_openapi::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum Niveau {
    Debutant,
    Intermediaire,
    Avance,
}

/// `genre` of the beneficiary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, poem_openapi::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum Genre {
    Masculin,
    Feminin,
    NonCommunique,
}

/// `trancheAge` of the beneficiary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, poem_openapi::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum TrancheAge {
    MoinsDeDouze,
    DouzeDixHuit,
    DixHuitVingtQuatre,
    VingtCinqTrenteNeuf,
    QuaranteCinquanteNeuf,
    SoixanteSoixanteNeuf,
    SoixanteDixPlus,
    NonCommunique,
}

/// `statutSocial` of the beneficiary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, poem_openapi::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum StatutSocial {
    Scolarise,
    SansEmploi,
    EnEmploi,
    Retraite,
    NonCommunique,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activity_record")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub organisation_id: i32,
    pub place_id: i32,
    pub kind: RecordKind,
    /// The appointment it records (individual records), at most one record each.
    #[sea_orm(unique)]
    pub appointment_id: Option<i32>,
    /// The session it records (collective records), at most one record each.
    #[sea_orm(unique)]
    pub session_id: Option<i32>,
    /// The day, in the organisation's zone.
    pub date: Date,
    pub duration_minutes: i32,
    /// Comma-separated theme codes.
    #[sea_orm(column_type = "Text")]
    pub themes: String,
    /// Comma-separated equipment codes.
    #[sea_orm(column_type = "Text")]
    pub materiel: String,
    pub type_lieu: Option<TypeLieu>,
    pub autonomie: Option<Autonomie>,
    pub oriente: Option<bool>,
    pub structure: Option<Structure>,
    #[sea_orm(column_type = "Text", nullable)]
    pub precisions: Option<String>,
    pub titre_atelier: Option<String>,
    pub niveau: Option<Niveau>,
    pub participants: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub notes: Option<String>,
    pub genre: Option<Genre>,
    pub tranche_age: Option<TrancheAge>,
    pub statut_social: Option<StatutSocial>,
    pub commune: Option<String>,
    pub commune_postal_code: Option<String>,
    /// The commune's INSEE code (records completed before it was asked have none).
    pub commune_insee: Option<String>,
    pub first_time: Option<bool>,
    pub status: RecordStatus,
    pub completed_by_staff_id: Option<i32>,
    pub completed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organisation::Entity",
        from = "Column::OrganisationId",
        to = "super::organisation::Column::Id"
    )]
    Organisation,
    #[sea_orm(
        belongs_to = "super::place::Entity",
        from = "Column::PlaceId",
        to = "super::place::Column::Id"
    )]
    Place,
}

impl Related<super::organisation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organisation.def()
    }
}

impl Related<super::place::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Place.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
