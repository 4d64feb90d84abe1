//! Creating and changing a place: the checks and the write, for the API and the console.
use entities::{kinds::PlaceKind, place};
use sea_orm::{ActiveModelTrait, DbErr, Set};

use crate::{
    domain::{
        field::{self, FieldProblem, Problems},
        refusal::{DomainError, Refusal},
    },
    platform::{org_scope::find_in_org, state::AppState},
};

/// Most desks a place may have.
pub(crate) const MAX_DESKS: i32 = 20;

/// A place as staff describe it.
#[derive(Debug, Clone)]
pub(crate) struct PlaceFields {
    pub name: String,
    pub kind: PlaceKind,
    pub address: String,
    pub postal_code: String,
    pub city: String,
    pub public_phone: Option<String>,
    pub equipment: Option<String>,
    pub access_notes: Option<String>,
    pub desks: i32,
    pub close_on_public_holidays: bool,
    pub active: bool,
}

impl PlaceFields {
    /// The values trimmed, or every problem at once.
    pub(crate) fn check(&self) -> Result<PlaceFields, Vec<FieldProblem>> {
        let mut p = Problems::default();
        let name = p.take(field::required(
            "name",
            &self.name,
            200,
            false,
            "Indiquez le nom du lieu.",
        ));
        let address = p.take(field::required(
            "address",
            &self.address,
            300,
            false,
            "Indiquez l'adresse (numéro et rue).",
        ));
        let postal_code = p.take(field::required(
            "postal_code",
            &self.postal_code,
            10,
            false,
            "Indiquez le code postal (exemple : 13200).",
        ));
        let city = p.take(field::required("city", &self.city, 100, false, "Indiquez la commune."));
        let public_phone = p.take(field::optional("public_phone", self.public_phone.as_deref(), 40, false));
        let equipment = p.take(field::optional("equipment", self.equipment.as_deref(), 1000, true));
        let access_notes = p.take(field::optional(
            "access_notes",
            self.access_notes.as_deref(),
            2000,
            true,
        ));
        let desks = p.take(field::within(
            "desks",
            self.desks,
            1,
            MAX_DESKS,
            "Indiquez un nombre de guichets de 1 à 20.",
        ));
        p.into_result(|| PlaceFields {
            name: name.unwrap_or_default(),
            kind: self.kind,
            address: address.unwrap_or_default(),
            postal_code: postal_code.unwrap_or_default(),
            city: city.unwrap_or_default(),
            public_phone: public_phone.flatten(),
            equipment: equipment.flatten(),
            access_notes: access_notes.flatten(),
            desks: desks.unwrap_or(1),
            close_on_public_holidays: self.close_on_public_holidays,
            active: self.active,
        })
    }
}

/// Why a place was not saved.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PlaceError {
    #[error("Ce lieu n'existe pas.")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] FieldProblem),
    #[error("database")]
    Db(#[from] DbErr),
}

impl DomainError for PlaceError {
    fn refusal(&self) -> Refusal {
        match self {
            PlaceError::NotFound => Refusal::NotFound,
            PlaceError::Invalid(p) => Refusal::Invalid { field: p.field },
            PlaceError::Db(_) => Refusal::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            PlaceError::NotFound => "not_found",
            PlaceError::Invalid(_) => "validation",
            PlaceError::Db(_) => "internal",
        }
    }
}

fn checked(fields: &PlaceFields) -> Result<PlaceFields, PlaceError> {
    fields
        .check()
        .map_err(|problems| PlaceError::Invalid(problems.into_iter().next().expect("at least one problem")))
}

fn fill(mut a: place::ActiveModel, p: PlaceFields) -> place::ActiveModel {
    a.name = Set(p.name);
    a.kind = Set(p.kind);
    a.address = Set(p.address);
    a.postal_code = Set(p.postal_code);
    a.city = Set(p.city);
    a.public_phone = Set(p.public_phone);
    a.equipment = Set(p.equipment);
    a.access_notes = Set(p.access_notes);
    a.desks = Set(p.desks);
    a.close_on_public_holidays = Set(p.close_on_public_holidays);
    a.active = Set(p.active);
    a
}

/// Adds a place to `organisation_id`.
pub(crate) async fn create(
    state: &AppState,
    organisation_id: i32,
    fields: &PlaceFields,
) -> Result<place::Model, PlaceError> {
    let mut a = fill(<place::ActiveModel as Default>::default(), checked(fields)?);
    a.organisation_id = Set(organisation_id);
    a.created_at = Set(state.clock.now());
    Ok(a.insert(&state.db).await?)
}

/// Changes place `id` of `organisation_id` (another organisation's answers not found).
pub(crate) async fn update(
    state: &AppState,
    organisation_id: i32,
    id: i32,
    fields: &PlaceFields,
) -> Result<place::Model, PlaceError> {
    let existing = find_in_org::<place::Entity, _>(&state.db, organisation_id, id)
        .await?
        .ok_or(PlaceError::NotFound)?;
    let fields = checked(fields)?;
    Ok(fill(existing.into(), fields).update(&state.db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> PlaceFields {
        PlaceFields {
            name: " Le Sambuc ".into(),
            kind: PlaceKind::MediationPoint,
            address: "Mairie annexe".into(),
            postal_code: "13200".into(),
            city: "Arles".into(),
            public_phone: Some(" ".into()),
            equipment: None,
            access_notes: Some("Plain-pied".into()),
            desks: 2,
            close_on_public_holidays: true,
            active: true,
        }
    }

    #[test]
    fn a_place_is_trimmed_and_blank_optional_fields_are_absent() {
        let p = sample().check().unwrap();
        assert_eq!(p.name, "Le Sambuc");
        assert_eq!(p.public_phone, None);
    }

    #[test]
    fn every_problem_of_a_place_is_reported_with_its_field() {
        let mut p = sample();
        p.name = " ".into();
        p.desks = 0;
        let fields: Vec<_> = p.check().unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "desks"]);
    }
}
