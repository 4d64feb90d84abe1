//! Calendar files: a booking's invite to download again, subscribable feeds (secret URL for
//! staff, public for a place's sessions), and the staff operations that make and revoke feeds.
use chrono::{DateTime, Utc};
use entities::place;
use poem::web::Data;
use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Header, Path},
    payload::{Json, PlainText},
};

use super::{
    dto::{Feed, FeedCreated, FeedInput, FeedKind},
    feeds::{self, FeedKey},
    queries,
    service::{self, RevokeOutcome},
};
use crate::{
    auth::{Staff, queries as staff_queries},
    http::error::{ApiError, ApiResult, OrNotFound},
    http::tags::ApiTags,
    places::queries::PLACE_NOT_FOUND,
    platform::org_scope::find_in_org,
    platform::state::AppState,
    platform::token,
};

#[derive(ApiResponse)]
pub(crate) enum IcsResponse {
    /// An iCalendar document (RFC 5545).
    #[oai(status = 200, content_type = "text/calendar; charset=utf-8")]
    Calendar(
        PlainText<String>,
        /// `inline` with the file name.
        #[oai(header = "Content-Disposition")]
        String,
        /// How long clients may keep it.
        #[oai(header = "Cache-Control")]
        String,
        /// The version of this document: send it back in `If-None-Match`.
        #[oai(header = "ETag")]
        String,
        /// Feeds: when what the feed shows last changed; send it back in `If-Modified-Since`.
        #[oai(header = "Last-Modified")]
        Option<String>,
    ),
    /// Unchanged since the version named in `If-None-Match` (or, without it, since the
    /// time in `If-Modified-Since`).
    #[oai(status = 304)]
    NotModified(
        #[oai(header = "ETag")] String,
        #[oai(header = "Cache-Control")] String,
        #[oai(header = "Last-Modified")] String,
    ),
}

/// Feeds say `REFRESH-INTERVAL:PT1H`: clients and proxies may keep them that long.
const FEED_CACHE_SECONDS: u32 = 3600;

/// What a subscriber sends back of the version it holds.
struct Held<'a> {
    if_none_match: Option<&'a str>,
    if_modified_since: Option<&'a str>,
}

impl IcsResponse {
    fn new(ics: String, filename: &str, cache: &str) -> IcsResponse {
        let etag = etag_of(&ics);
        IcsResponse::Calendar(
            PlainText(ics),
            format!("inline; filename=\"{filename}\""),
            cache.to_string(),
            etag,
            None,
        )
    }

    /// A feed: its document, or `304` when the subscriber already holds this version.
    /// `If-None-Match` decides when present (RFC 9110 §13.1.3); otherwise `If-Modified-Since`.
    fn feed(
        ics: String,
        etag: String,
        last_modified: DateTime<Utc>,
        filename: &str,
        cache: &str,
        held: Held<'_>,
    ) -> IcsResponse {
        let stamp = http_date(last_modified);
        let unchanged = match (held.if_none_match, held.if_modified_since) {
            (Some(asked), _) => asked
                .split(',')
                .any(|t| t.trim() == "*" || t.trim().trim_start_matches("W/") == etag),
            (None, Some(since)) => parse_http_date(since).is_some_and(|since| last_modified <= since),
            (None, None) => false,
        };
        if unchanged {
            IcsResponse::NotModified(etag, cache.to_string(), stamp)
        } else {
            IcsResponse::Calendar(
                PlainText(ics),
                format!("inline; filename=\"{filename}\""),
                cache.to_string(),
                etag,
                Some(stamp),
            )
        }
    }
}

/// The document is the same bytes for the same data, so its hash names the version.
fn etag_of(ics: &str) -> String {
    format!("\"{}\"", &token::hash(ics)[..32])
}

/// An HTTP date (RFC 9110 §5.6.7, IMF-fixdate): `Tue, 12 Jan 2027 13:00:00 GMT`.
fn http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// An HTTP date sent back; anything unreadable is ignored, as RFC 9110 §13.1.3 says.
fn parse_http_date(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(raw.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

pub struct CalendarsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Calendars")]
impl CalendarsApi {
    /// The calendar invite of a registration, in its current state: `METHOD:REQUEST` while it
    /// stands, `METHOD:CANCEL` once cancelled; the same UID as the e-mailed invites and the
    /// latest SEQUENCE, so opening it updates the event already in the resident's calendar.
    /// A registration on the waiting list has no invite yet (409).
    #[oai(
        path = "/registrations/:token/invite.ics",
        method = "get",
        operation_id = "getRegistrationInvite"
    )]
    async fn registration_invite(&self, state: Data<&AppState>, token: Path<String>) -> ApiResult<IcsResponse> {
        let ics = feeds::registration_invite(&state, &token.0).await?;
        Ok(IcsResponse::new(ics, "invite.ics", "private, no-store"))
    }

    /// The calendar invite of an appointment, in its current state (see
    /// `getRegistrationInvite`).
    #[oai(
        path = "/appointments/:token/invite.ics",
        method = "get",
        operation_id = "getAppointmentInvite"
    )]
    async fn appointment_invite(&self, state: Data<&AppState>, token: Path<String>) -> ApiResult<IcsResponse> {
        let ics = feeds::appointment_invite(&state, &token.0).await?;
        Ok(IcsResponse::new(ics, "invite.ics", "private, no-store"))
    }

    /// A staff calendar feed, reached with the secret URL given when it was made
    /// (`adminCreateFeed`): a place's sessions (with registrants) and appointments (with the
    /// resident's details), or a staff member's agenda. Covers the last 30 days and the next
    /// 365; cancelled events stay listed as `STATUS:CANCELLED` so subscribers drop them.
    #[oai(path = "/feeds/:feed", method = "get", operation_id = "getFeed")]
    async fn feed(
        &self,
        state: Data<&AppState>,
        /// The feed's token followed by `.ics`.
        feed: Path<String>,
        /// The `ETag` of the version the subscriber holds.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
        /// The `Last-Modified` of the version the subscriber holds (ignored with `If-None-Match`).
        #[oai(name = "If-Modified-Since")]
        if_modified_since: Header<Option<String>>,
    ) -> ApiResult<IcsResponse> {
        let raw = feed.0.strip_suffix(".ics").unwrap_or(&feed.0);
        let (ics, feed_id) = feeds::staff_feed(&state, raw).await?;
        let etag = etag_of(&ics);
        let changed = feeds::last_modified(&state.db, FeedKey::Token(feed_id), &etag, state.clock.now()).await?;
        let cache = format!("private, max-age={FEED_CACHE_SECONDS}");
        let held = Held {
            if_none_match: if_none_match.0.as_deref(),
            if_modified_since: if_modified_since.0.as_deref(),
        };
        Ok(IcsResponse::feed(ics, etag, changed, "agenda.ics", &cache, held))
    }

    /// The public feed of a place's workshop sessions (no personal data), to subscribe to
    /// in a calendar application. Covers the last 30 days and the next 365.
    #[oai(
        path = "/places/:id/sessions.ics",
        method = "get",
        operation_id = "getPlaceSessionsFeed"
    )]
    async fn place_sessions(
        &self,
        state: Data<&AppState>,
        id: Path<i32>,
        /// The `ETag` of the version the subscriber holds.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
        /// The `Last-Modified` of the version the subscriber holds (ignored with `If-None-Match`).
        #[oai(name = "If-Modified-Since")]
        if_modified_since: Header<Option<String>>,
    ) -> ApiResult<IcsResponse> {
        let ics = feeds::place_sessions(&state, id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("Ce lieu n'existe pas."))?;
        let etag = etag_of(&ics);
        let changed = feeds::last_modified(&state.db, FeedKey::PublicPlace(id.0), &etag, state.clock.now()).await?;
        let cache = format!("public, max-age={FEED_CACHE_SECONDS}");
        let held = Held {
            if_none_match: if_none_match.0.as_deref(),
            if_modified_since: if_modified_since.0.as_deref(),
        };
        Ok(IcsResponse::feed(ics, etag, changed, "ateliers.ics", &cache, held))
    }
}

pub struct AdminFeedsApi;

#[derive(ApiResponse)]
pub(crate) enum FeedCreatedResponse {
    /// The feed, with its secret URL (shown this once).
    #[oai(status = 201)]
    Created(Json<FeedCreated>),
}

#[derive(ApiResponse)]
pub(crate) enum FeedRevoked {
    /// Revoked: its URL answers 404 from now on.
    #[oai(status = 204)]
    Revoked,
}

const FEED_NOT_FOUND: &str = "Ce flux d'agenda n'existe pas.";

#[OpenApi(prefix_path = "/api/v1/admin", tag = "ApiTags::AdminOrganisation")]
impl AdminFeedsApi {
    /// Make a subscribable calendar feed: a place's (coordinators and admins) or a staff
    /// member's agenda (one's own; another member's needs a coordinator or an admin). The
    /// answer holds the secret URL, shown this once.
    #[oai(path = "/feeds", method = "post", operation_id = "adminCreateFeed")]
    async fn create(
        &self,
        state: Data<&AppState>,
        Staff(me): Staff,
        body: Json<FeedInput>,
    ) -> ApiResult<FeedCreatedResponse> {
        let (place_id, staff_member_id) = match body.kind {
            FeedKind::Place => {
                me.require_manager()?;
                let place_id = body
                    .place_id
                    .ok_or_else(|| ApiError::invalid("place_id", "Indiquez le lieu de ce flux."))?;
                find_in_org::<place::Entity, _>(&state.db, me.organisation_id, place_id)
                    .await?
                    .or_not_found(PLACE_NOT_FOUND)?;
                (Some(place_id), None)
            }
            FeedKind::Staff => {
                let member_id = body.staff_member_id.unwrap_or(me.id);
                if member_id != me.id {
                    me.require_manager()?;
                }
                let member = staff_queries::member(&state.db, member_id).await?;
                if member.is_none_or(|m| m.organisation_id != me.organisation_id) {
                    return Err(ApiError::invalid(
                        "staff_member_id",
                        "Ce membre de l'équipe n'existe pas.",
                    ));
                }
                (None, Some(member_id))
            }
        };
        let (row, raw) = service::create_feed(&state, &me, body.kind, place_id, staff_member_id).await?;
        let feed = Feed::new(&row, Some(me.name.clone()), state.settings.timezone);
        Ok(FeedCreatedResponse::Created(Json(FeedCreated {
            id: feed.id,
            kind: feed.kind,
            place_id: feed.place_id,
            staff_member_id: feed.staff_member_id,
            created_at: feed.created_at,
            url: format!("{}/api/v1/feeds/{raw}.ics", state.settings.public_url),
            token: raw,
        })))
    }

    /// The feeds in use (never their URLs): all of the organisation's for coordinators and
    /// admins, one's own agenda feeds for facilitators.
    #[oai(path = "/feeds", method = "get", operation_id = "adminListFeeds")]
    async fn list(&self, state: Data<&AppState>, Staff(me): Staff) -> ApiResult<Json<Vec<Feed>>> {
        Ok(Json(queries::visible_feeds(&state, &me).await?))
    }

    /// Revoke a feed: its URL stops working at once. Coordinators and admins revoke any;
    /// a facilitator their own agenda feeds.
    #[oai(path = "/feeds/:id", method = "delete", operation_id = "adminRevokeFeed")]
    async fn revoke(&self, state: Data<&AppState>, Staff(me): Staff, id: Path<i32>) -> ApiResult<FeedRevoked> {
        match service::revoke_feed(&state, &me, id.0).await? {
            RevokeOutcome::Revoked => Ok(FeedRevoked::Revoked),
            RevokeOutcome::NotFound => Err(ApiError::not_found(FEED_NOT_FOUND)),
            RevokeOutcome::Forbidden => Err(ApiError::forbidden()),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn answer(if_none_match: Option<&str>, if_modified_since: Option<&str>) -> u16 {
        let at = Utc.with_ymd_and_hms(2027, 1, 12, 13, 0, 0).unwrap();
        let held = Held {
            if_none_match,
            if_modified_since,
        };
        match IcsResponse::feed("BEGIN:VCALENDAR".into(), "\"v1\"".into(), at, "a.ics", "public", held) {
            IcsResponse::Calendar(.., Some(stamp)) => {
                assert_eq!(stamp, "Tue, 12 Jan 2027 13:00:00 GMT");
                200
            }
            IcsResponse::Calendar(.., None) => unreachable!("a feed always says when it changed"),
            IcsResponse::NotModified(..) => 304,
        }
    }

    #[test]
    fn if_none_match_decides_when_present_and_if_modified_since_otherwise() {
        let same = Some("Tue, 12 Jan 2027 13:00:00 GMT");
        let later = Some("Wed, 13 Jan 2027 08:00:00 GMT");
        let earlier = Some("Tue, 12 Jan 2027 12:59:59 GMT");
        assert_eq!(answer(None, None), 200);
        assert_eq!(answer(None, same), 304);
        assert_eq!(answer(None, later), 304);
        assert_eq!(answer(None, earlier), 200);
        assert_eq!(answer(None, Some("mardi")), 200, "an unreadable date is ignored");
        assert_eq!(answer(Some("\"v1\""), earlier), 304);
        assert_eq!(answer(Some("W/\"v1\", \"v0\""), None), 304);
        assert_eq!(answer(Some("\"v0\""), later), 200);
    }
}
