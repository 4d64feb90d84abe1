//! Reading and changing an organisation's settings. The contact e-mail is the invitations'
//! ORGANIZER and the messages' Reply-To; the contact phone is given in messages and SMS when a
//! place has none; the sender name signs its SMS; the monthly budget stops SMS once that many
//! segments went in the month (see [`crate::notifications::sms::budget`]).
use entities::organisation;
use sea_orm::{ActiveModelTrait, DbErr, EntityTrait, Set};

use crate::{
    domain::{
        contact::{EmailAddress, PhoneNumber},
        field::{self, FieldProblem, Problems},
        refusal::{DomainError, Refusal},
        sender_name::SenderName,
    },
    french,
    notifications::sms::{self, budget},
    platform::state::AppState,
};

/// The largest monthly budget accepted (a typing slip beyond it is more likely than a need).
pub(crate) const MAX_BUDGET: i32 = 10_000_000;

/// The settings as an admin types them.
#[derive(Debug, Clone, Default)]
pub(crate) struct SettingsFields {
    pub name: String,
    pub contact_email: String,
    pub contact_phone: Option<String>,
    pub sms_sender: String,
    /// Segments a month; `None`: no limit.
    pub sms_monthly_budget: Option<i32>,
}

/// The settings once checked.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    name: String,
    contact_email: EmailAddress,
    /// As French people read it ("04 90 49 36 36"), or E.164 for a foreign number.
    contact_phone: Option<String>,
    sms_sender: SenderName,
    sms_monthly_budget: Option<i32>,
}

impl SettingsFields {
    /// The values checked, or every problem at once (each with its field).
    pub(crate) fn check(&self) -> Result<Checked, Vec<FieldProblem>> {
        let mut p = Problems::default();
        let name = p.take(field::required(
            "name",
            &self.name,
            200,
            false,
            "Indiquez le nom de l'organisation.",
        ));
        let contact_email = p.take(if self.contact_email.trim().is_empty() {
            Err(FieldProblem::new(
                "contact_email",
                "Indiquez l'adresse e-mail où les habitants peuvent écrire.",
            ))
        } else {
            EmailAddress::parse(&self.contact_email).map_err(|e| FieldProblem::new("contact_email", e.to_string()))
        });
        let contact_phone = p.take(
            match self.contact_phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(raw) => PhoneNumber::parse(raw)
                    .map(|n| Some(french::phone(n.as_str())))
                    .map_err(|e| FieldProblem::new("contact_phone", e.to_string())),
            },
        );
        let sms_sender =
            p.take(SenderName::parse(&self.sms_sender).map_err(|e| FieldProblem::new("sms_sender", e.to_string())));
        let sms_monthly_budget = p.take(match self.sms_monthly_budget {
            None => Ok(None),
            Some(n) => field::within(
                "sms_monthly_budget",
                n,
                0,
                MAX_BUDGET,
                "Indiquez un nombre de segments de 0 à 10 000 000, ou laissez vide pour ne pas limiter.",
            )
            .map(Some),
        });
        if !p.0.is_empty() {
            return Err(p.0);
        }
        Ok(Checked {
            name: name.expect("checked"),
            contact_email: contact_email.expect("checked"),
            contact_phone: contact_phone.expect("checked"),
            sms_sender: sms_sender.expect("checked"),
            sms_monthly_budget: sms_monthly_budget.expect("checked"),
        })
    }
}

/// An organisation's settings as shown: the stored row, the sender its SMS carry, and the
/// month's use of SMS.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub organisation: organisation::Model,
    /// The setting, or when unset the letters of the name (what SMS carry today).
    pub sms_sender: String,
    pub usage: budget::Usage,
}

/// Why settings were not read or saved.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SettingsError {
    #[error("Cette organisation n'existe pas.")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] FieldProblem),
    #[error("database")]
    Db(#[from] DbErr),
}

impl DomainError for SettingsError {
    fn refusal(&self) -> Refusal {
        match self {
            SettingsError::NotFound => Refusal::NotFound,
            SettingsError::Invalid(p) => Refusal::Invalid { field: p.field },
            SettingsError::Db(_) => Refusal::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            SettingsError::NotFound => "not_found",
            SettingsError::Invalid(_) => "validation",
            SettingsError::Db(_) => "internal",
        }
    }
}

async fn shown(state: &AppState, organisation: organisation::Model) -> Result<Settings, SettingsError> {
    let usage = budget::usage(&state.db, &organisation, state.clock.now()).await?;
    Ok(Settings {
        sms_sender: sms::sender(&organisation),
        organisation,
        usage,
    })
}

/// The settings of `organisation_id`.
pub(crate) async fn load(state: &AppState, organisation_id: i32) -> Result<Settings, SettingsError> {
    let org = organisation::Entity::find_by_id(organisation_id)
        .one(&state.db)
        .await?
        .ok_or(SettingsError::NotFound)?;
    shown(state, org).await
}

/// Saves the settings of `organisation_id`; the first problem found is the answer.
pub(crate) async fn update(
    state: &AppState,
    organisation_id: i32,
    fields: &SettingsFields,
) -> Result<Settings, SettingsError> {
    let checked = fields
        .check()
        .map_err(|problems| SettingsError::Invalid(problems.into_iter().next().expect("at least one problem")))?;
    let org = organisation::Entity::find_by_id(organisation_id)
        .one(&state.db)
        .await?
        .ok_or(SettingsError::NotFound)?;
    let mut a: organisation::ActiveModel = org.into();
    a.name = Set(checked.name);
    a.contact_email = Set(checked.contact_email.as_str().to_string());
    a.contact_phone = Set(checked.contact_phone);
    a.sms_sender = Set(Some(checked.sms_sender.into_string()));
    a.sms_monthly_budget = Set(checked.sms_monthly_budget);
    let saved = a.update(&state.db).await?;
    shown(state, saved).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SettingsFields {
        SettingsFields {
            name: " Ville d'Arles ".into(),
            contact_email: "Mediation@Arles.example".into(),
            contact_phone: Some("0490493636".into()),
            sms_sender: "VilleArles".into(),
            sms_monthly_budget: Some(500),
        }
    }

    #[test]
    fn settings_are_trimmed_and_the_phone_written_as_french_people_read_it() {
        let c = sample().check().unwrap();
        assert_eq!(c.name, "Ville d'Arles");
        assert_eq!(c.contact_email.as_str(), "mediation@arles.example");
        assert_eq!(c.contact_phone.as_deref(), Some("04 90 49 36 36"));
        assert_eq!(c.sms_monthly_budget, Some(500));
    }

    #[test]
    fn every_problem_of_the_settings_is_reported_with_its_field() {
        let f = SettingsFields {
            name: "".into(),
            contact_email: "pas-une-adresse".into(),
            contact_phone: Some("04 90 49 36".into()),
            sms_sender: "Ville d'Arles".into(),
            sms_monthly_budget: Some(-1),
        };
        let fields: Vec<_> = f.check().unwrap_err().iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "name",
                "contact_email",
                "contact_phone",
                "sms_sender",
                "sms_monthly_budget"
            ]
        );
    }
}
