//! The workshop catalogue: adding and changing an entry, with its checks, for the admin API
//! and the console alike.
use entities::workshop;
use sea_orm::{ActiveModelTrait, DbErr, Set};

use crate::{
    domain::{
        field::{self, FieldProblem, Problems},
        refusal::{DomainError, Refusal},
    },
    platform::{org_scope::find_in_org, state::AppState},
};

/// A catalogue entry as staff describe it.
#[derive(Debug, Clone)]
pub(crate) struct WorkshopFields {
    pub title: String,
    pub summary: String,
    pub description: String,
    pub level: String,
    pub audience: String,
    pub default_duration_minutes: i32,
    pub default_capacity: i32,
    pub active: bool,
}

impl WorkshopFields {
    /// The values trimmed, or every problem at once.
    pub(crate) fn check(&self) -> Result<WorkshopFields, Vec<FieldProblem>> {
        let mut p = Problems::default();
        let title = p.take(field::required(
            "title",
            &self.title,
            200,
            false,
            "Indiquez le titre de l'atelier.",
        ));
        let summary = p.take(field::optional("summary", Some(&self.summary), 500, true));
        let description = p.take(field::optional("description", Some(&self.description), 5000, true));
        let level = p.take(field::optional("level", Some(&self.level), 100, false));
        let audience = p.take(field::optional("audience", Some(&self.audience), 200, false));
        let duration = p.take(field::within(
            "default_duration_minutes",
            self.default_duration_minutes,
            15,
            600,
            "Indiquez une durée de 15 à 600 minutes.",
        ));
        let capacity = p.take(field::within(
            "default_capacity",
            self.default_capacity,
            1,
            500,
            "Indiquez un nombre de places de 1 à 500.",
        ));
        p.into_result(|| WorkshopFields {
            title: title.unwrap_or_default(),
            summary: summary.flatten().unwrap_or_default(),
            description: description.flatten().unwrap_or_default(),
            level: level.flatten().unwrap_or_default(),
            audience: audience.flatten().unwrap_or_default(),
            default_duration_minutes: duration.unwrap_or(15),
            default_capacity: capacity.unwrap_or(1),
            active: self.active,
        })
    }
}

/// Why a catalogue entry was not saved.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CatalogueError {
    #[error("Cet atelier n'existe pas.")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] FieldProblem),
    #[error("database")]
    Db(#[from] DbErr),
}

impl DomainError for CatalogueError {
    fn refusal(&self) -> Refusal {
        match self {
            CatalogueError::NotFound => Refusal::NotFound,
            CatalogueError::Invalid(p) => Refusal::Invalid { field: p.field },
            CatalogueError::Db(_) => Refusal::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            CatalogueError::NotFound => "not_found",
            CatalogueError::Invalid(_) => "validation",
            CatalogueError::Db(_) => "internal",
        }
    }
}

fn fill(mut a: workshop::ActiveModel, fields: &WorkshopFields) -> Result<workshop::ActiveModel, CatalogueError> {
    let w = fields
        .check()
        .map_err(|problems| CatalogueError::Invalid(problems.into_iter().next().expect("at least one problem")))?;
    a.title = Set(w.title);
    a.summary = Set(w.summary);
    a.description = Set(w.description);
    a.level = Set(w.level);
    a.audience = Set(w.audience);
    a.default_duration_minutes = Set(w.default_duration_minutes);
    a.default_capacity = Set(w.default_capacity);
    a.active = Set(w.active);
    Ok(a)
}

/// Adds an entry to `organisation_id`'s catalogue.
pub(crate) async fn create(
    state: &AppState,
    organisation_id: i32,
    fields: &WorkshopFields,
) -> Result<workshop::Model, CatalogueError> {
    let mut a = fill(<workshop::ActiveModel as Default>::default(), fields)?;
    a.organisation_id = Set(organisation_id);
    a.created_at = Set(state.clock.now());
    Ok(a.insert(&state.db).await?)
}

/// Changes entry `id` of `organisation_id`'s catalogue. Sessions already planned keep their
/// times and seats.
pub(crate) async fn update(
    state: &AppState,
    organisation_id: i32,
    id: i32,
    fields: &WorkshopFields,
) -> Result<workshop::Model, CatalogueError> {
    let existing = find_in_org::<workshop::Entity, _>(&state.db, organisation_id, id)
        .await?
        .ok_or(CatalogueError::NotFound)?;
    Ok(fill(existing.into(), fields)?.update(&state.db).await?)
}
