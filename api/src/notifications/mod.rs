//! Telling residents: outbox rows written with each change, delivered by the worker as French
//! e-mails with iCalendar invites; calendar downloads and feeds.
pub(crate) mod calendar_api;
pub mod compose;
pub(crate) mod dto;
pub mod enqueue;
pub(crate) mod feeds;
pub(crate) mod history;
pub mod ical;
pub mod lease;
pub(crate) mod mail_html;
pub(crate) mod message;
pub(crate) mod outbox_api;
pub mod payload;
pub(crate) mod queries;
pub(crate) mod render;
pub(crate) mod service;
pub mod sms;
pub mod smtp;
pub mod worker;

/// This folder's operations in the published API: the outbox and feeds for staff, calendar
/// files for everyone.
pub(crate) type Apis = (
    outbox_api::AdminOutboxApi,
    calendar_api::AdminFeedsApi,
    calendar_api::CalendarsApi,
);

pub(crate) fn apis() -> Apis {
    (
        outbox_api::AdminOutboxApi,
        calendar_api::AdminFeedsApi,
        calendar_api::CalendarsApi,
    )
}
