//! sea-orm entities, one module per table, and the closed sets of values their text columns
//! hold ([`kinds`]). Request and response types live in the api crate: the models here are
//! storage shapes only; the kinds are shared, since the API publishes the same strings.

pub mod activity_record;
pub mod appointment;
pub mod appointment_claim;
pub mod booking_code;
pub mod call_made;
pub mod closure;
pub mod export_log;
pub mod extra_opening;
pub mod feed_token;
pub mod feed_version;
pub mod job_run;
pub mod kinds;
pub mod motif;
pub mod opening_rule;
pub mod organisation;
pub mod outbox;
pub mod place;
pub mod place_motif;
pub mod registration;
pub mod session;
pub mod sign_in_throttle;
pub mod sms_opt_out;
pub mod sms_reply;
pub mod sms_usage;
pub mod staff_invitation;
pub mod staff_member;
pub mod staff_token;
pub mod survey_answer;
pub mod survey_contact;
pub mod survey_invitation;
pub mod survey_sent;
pub mod survey_used_token;
pub mod theme_mapping;
pub mod workshop;
