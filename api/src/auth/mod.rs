//! Staff accounts: passwords, bearer tokens, roles and the login API.
pub(crate) mod accounts;
pub mod api;
pub(crate) mod password;
pub mod provisioning;
pub(crate) mod queries;
pub(crate) mod sign_in;
pub(crate) mod staff;

pub use staff::{Admin, Manager, Role, Staff, StaffIdentity, resolve_staff};
