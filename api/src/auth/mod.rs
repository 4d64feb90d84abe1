//! Staff accounts: passwords, bearer tokens, roles and the login API.
pub mod api;
pub mod password;
pub mod provisioning;
pub mod sign_in;
pub mod staff;

pub use staff::{Admin, Manager, Role, Staff, StaffIdentity, resolve_staff};
