//! What every handler shares: the database, the clock and the settings. Handlers reach it
//! through `Data<&AppState>`, so the API structs stay stateless and the spec can be built
//! without a database.
use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{notifications::sms::SmsProvider, platform::clock::Clock, platform::config::Settings};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub clock: Clock,
    pub settings: Arc<Settings>,
    /// Where the outbox's SMS go (`settings.sms_url`).
    pub sms: Arc<dyn SmsProvider>,
}

impl AppState {
    /// The state of these settings: the SMS provider is the one `settings.sms_url` names.
    pub fn new(db: DatabaseConnection, clock: Clock, settings: Settings) -> anyhow::Result<AppState> {
        let sms = crate::notifications::sms::provider::from_settings(&settings)?;
        Ok(AppState {
            db,
            clock,
            settings: Arc::new(settings),
            sms,
        })
    }

    /// The host part of the public URL: the right-hand side of iCalendar UIDs and Message-IDs.
    pub fn public_host(&self) -> String {
        url::Url::parse(&self.settings.public_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "creneau.localhost".into())
    }
}
