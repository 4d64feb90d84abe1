//! The organisation's own settings (its name, contact address and phone, SMS sender name and
//! monthly SMS budget): the checks and the write in [`settings`], the same for the admin API
//! ([`api`]) and the console page (`/staff/reglages/organisation`).
pub(crate) mod api;
pub(crate) mod settings;
