pub mod compose;
pub mod enqueue;
pub mod ical;
pub mod payload;
pub mod smtp;
pub mod worker;
