pub mod capacity;
pub mod contact;
pub mod holidays;
pub mod series;
pub mod slots;
