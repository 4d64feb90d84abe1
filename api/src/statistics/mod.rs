//! Statistics of the programme: the console's figures and charts (`/staff/statistiques`), the
//! funders' one-pager (`/staff/statistiques/rapport`), the admin API (`GET /api/v1/admin/stats`)
//! and the public figures (`/statistiques`). Every figure is counted by the database
//! ([`compute`]); the pages and the API show the same [`Statistics`].
pub mod api;
pub mod chart;
pub mod compute;
pub mod filter;
pub mod public;

pub use compute::{Statistics, compute};
pub use filter::{FilterError, RawFilter, StatsFilter};
