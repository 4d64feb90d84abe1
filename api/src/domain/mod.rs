pub(crate) mod capacity;
pub mod contact;
pub(crate) mod dates;
pub(crate) mod holidays;
pub(crate) mod refusal;
pub(crate) mod series;
pub mod slots;
pub mod text;
