//! One answer to the satisfaction survey, filed under organisation, place, workshop or
//! reason and month only. It has no column that could name a booking or a person, no
//! timestamp finer than the month, and a random id (no sequence to line up with bookings).
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_answer")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub smiley: Smiley,
    /// 1 ("pas clair du tout") to 5 ("très clair").
    pub clarity: Option<i32>,
    /// The help used, as a comma-separated list of [`HELP_KINDS`] codes.
    pub help_used: Option<String>,
    pub reached_administration: Option<bool>,
    /// 1 (très mauvaise) to 5 (excellente).
    pub help_quality: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
    pub organisation_id: i32,
    pub place_id: i32,
    pub workshop_id: Option<i32>,
    pub motif_id: Option<i32>,
    /// `YYYY-MM`, in the organisation's zone.
    pub month: String,
}

/// "De façon générale, comment ça s'est passé ?"
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Smiley {
    Bad,
    Average,
    Good,
}

/// The help a person may have used (the State's form), as stored in `help_used`.
pub const HELP_KINDS: [&str; 9] = [
    "guichet",
    "telephone",
    "email",
    "chat",
    "proche",
    "association",
    "sites",
    "autre",
    "aucune",
];

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
