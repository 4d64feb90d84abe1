//! The satisfaction survey after a workshop or an appointment attended (the questions of the
//! State's "Je donne mon avis" form): the invitation queued with the attendance, the
//! single-use link, answers kept apart from any booking or person, and results shown only
//! for groups of at least five answers.
pub(crate) mod admin_api;
pub(crate) mod answer;
pub(crate) mod form;
pub mod invite;
pub(crate) mod pages;
pub(crate) mod purge;
pub mod results;

pub use results::results;
