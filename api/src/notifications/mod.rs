//! Telling residents: outbox rows written with each change, delivered by the worker as French
//! e-mails with iCalendar invites; calendar downloads and feeds.
pub mod calendar_api;
pub mod compose;
pub mod dto;
pub mod enqueue;
pub mod feeds;
pub mod ical;
pub mod lease;
mod mail_html;
pub mod message;
pub mod outbox_api;
pub mod payload;
pub mod render;
pub mod smtp;
pub mod worker;

/// This folder's operations in the published API: the outbox and feeds for staff, calendar
/// files for everyone.
pub type Apis = (
    outbox_api::AdminOutboxApi,
    calendar_api::AdminFeedsApi,
    calendar_api::CalendarsApi,
);

pub fn apis() -> Apis {
    (
        outbox_api::AdminOutboxApi,
        calendar_api::AdminFeedsApi,
        calendar_api::CalendarsApi,
    )
}
