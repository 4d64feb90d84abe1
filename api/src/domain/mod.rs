pub mod capacity;
pub mod contact;
pub mod holidays;
pub mod refusal;
pub mod series;
pub mod slots;
