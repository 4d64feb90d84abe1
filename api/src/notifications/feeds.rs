//! Calendars read from the current state of the database: a booking's invite to download
//! again, a place's or a staff member's feed (token-protected: residents' names), and the
//! public feed of a place's workshop sessions (no personal data).
//!
//! A downloaded invite is the booking's latest version: the same UID as the e-mailed
//! invites, its current SEQUENCE, `REQUEST` while it stands and `CANCEL` once cancelled.
//! Feed events use UIDs of their own (`session-…`, `appointment-…-agenda`) so a staff member
//! who also received a resident's invite never sees the two merged.
use entities::kinds::{AppointmentStatus, RegistrationStatus, SessionStatus};
use std::collections::HashMap;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use entities::{appointment, feed_version, motif, organisation, place, registration, session, staff_member, workshop};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, sea_query::Expr,
};

use super::{
    dto::FeedKind,
    enqueue::{Context, ical_uid},
    ical::{self, CalendarEvent, CalendarMethod},
    message::{InviteVersion, calendar_event, contact_address},
    payload::{BookingKind, Event},
    queries, service,
};
use crate::{
    auth::queries as staff_queries,
    http::error::ApiError,
    places::queries as place_queries,
    platform::{organisations, state::AppState, token},
};

/// Feeds cover bookings that ended up to this long ago…
pub(crate) const FEED_PAST: Duration = Duration::days(30);
/// …and that start within this long.
pub(crate) const FEED_AHEAD: Duration = Duration::days(365);
/// At most this many events per feed.
const FEED_MAX_EVENTS: u64 = 2000;

#[derive(Debug, thiserror::Error)]
pub(crate) enum CalendarError {
    #[error("Ce lien n'est pas valable ou a été révoqué.")]
    NotFound,
    #[error("Vous êtes sur la liste d'attente : l'invitation sera disponible quand une place se libérera pour vous.")]
    Waitlisted,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<CalendarError> for ApiError {
    fn from(err: CalendarError) -> ApiError {
        let msg = err.to_string();
        match err {
            CalendarError::NotFound => ApiError::not_found(&msg),
            CalendarError::Waitlisted => ApiError::conflict("waitlisted", &msg),
            CalendarError::Db(e) => ApiError::internal(e),
        }
    }
}

fn missing(what: &str) -> DbErr {
    DbErr::RecordNotFound(format!("{what} referenced by a booking"))
}

/// The invite of the registration this manage token opens, in its current state.
pub(crate) async fn registration_invite(state: &AppState, raw: &str) -> Result<String, CalendarError> {
    if !token::looks_valid(raw) {
        return Err(CalendarError::NotFound);
    }
    let db = &state.db;
    let r = registration::Entity::find()
        .filter(crate::bookings::registration_token(raw))
        .one(db)
        .await?
        .ok_or(CalendarError::NotFound)?;
    let method = match r.status {
        RegistrationStatus::Cancelled => CalendarMethod::Cancel,
        RegistrationStatus::Waitlisted => return Err(CalendarError::Waitlisted),
        RegistrationStatus::Confirmed => CalendarMethod::Request,
    };
    let s = session::Entity::find_by_id(r.session_id)
        .one(db)
        .await?
        .ok_or_else(|| missing("session"))?;
    let w = workshop::Entity::find_by_id(s.workshop_id)
        .one(db)
        .await?
        .ok_or_else(|| missing("workshop"))?;
    let (org, p) = organisation_and_place(db, s.organisation_id, s.place_id).await?;
    let host = state.public_host();
    let ctx = Context {
        organisation: &org,
        place: &p,
        public_url: &state.settings.public_url,
        public_host: &host,
        now: state.clock.now(),
    };
    let event = match method {
        CalendarMethod::Request => Event::RegistrationConfirmed,
        CalendarMethod::Cancel => Event::RegistrationCancelled,
    };
    let mut payload = ctx.payload(event, BookingKind::Registration, &w.title, s.starts_at, s.ends_at);
    payload.manage_url = Some(ctx.manage_url(BookingKind::Registration, raw));
    payload.reason = s.cancel_reason.clone().filter(|_| s.status == SessionStatus::Cancelled);
    let uid = ical_uid(BookingKind::Registration, r.id, &org.calendar_uid_part, &host);
    Ok(ical::invite(&calendar_event(
        &payload,
        &InviteVersion {
            uid: &uid,
            sequence: r.ical_sequence,
            method,
            dtstamp: r.updated_at,
            organizer_email: contact_address(&org.contact_email, &state.settings.mail_from),
            attendee_name: &r.name,
            attendee_email: r.email.as_deref(),
        },
    )))
}

/// The invite of the appointment this manage token opens, in its current state.
pub(crate) async fn appointment_invite(state: &AppState, raw: &str) -> Result<String, CalendarError> {
    if !token::looks_valid(raw) {
        return Err(CalendarError::NotFound);
    }
    let db = &state.db;
    let a = appointment::Entity::find()
        .filter(crate::bookings::appointment_token(raw))
        .one(db)
        .await?
        .ok_or(CalendarError::NotFound)?;
    let cancelled = a.status == AppointmentStatus::Cancelled;
    let m = motif::Entity::find_by_id(a.motif_id)
        .one(db)
        .await?
        .ok_or_else(|| missing("motif"))?;
    let (org, p) = organisation_and_place(db, a.organisation_id, a.place_id).await?;
    let host = state.public_host();
    let ctx = Context {
        organisation: &org,
        place: &p,
        public_url: &state.settings.public_url,
        public_host: &host,
        now: state.clock.now(),
    };
    let (event, method) = if cancelled {
        (Event::AppointmentCancelled, CalendarMethod::Cancel)
    } else {
        (Event::AppointmentConfirmed, CalendarMethod::Request)
    };
    let mut payload = ctx.payload(event, BookingKind::Appointment, &m.label, a.starts_at, a.ends_at);
    payload.instructions = Some(m.instructions.clone()).filter(|i| !i.trim().is_empty());
    payload.manage_url = Some(ctx.manage_url(BookingKind::Appointment, raw));
    payload.reason = a.cancel_reason.clone().filter(|_| cancelled);
    let uid = ical_uid(BookingKind::Appointment, a.id, &org.calendar_uid_part, &host);
    Ok(ical::invite(&calendar_event(
        &payload,
        &InviteVersion {
            uid: &uid,
            sequence: a.ical_sequence,
            method,
            dtstamp: a.updated_at,
            organizer_email: contact_address(&org.contact_email, &state.settings.mail_from),
            attendee_name: &a.name,
            attendee_email: a.email.as_deref(),
        },
    )))
}

async fn organisation_and_place<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
    place_id: i32,
) -> Result<(organisation::Model, place::Model), DbErr> {
    let org = organisation::Entity::find_by_id(organisation_id)
        .one(db)
        .await?
        .ok_or_else(|| missing("organisation"))?;
    let p = place::Entity::find_by_id(place_id)
        .one(db)
        .await?
        .ok_or_else(|| missing("place"))?;
    Ok((org, p))
}

/// The staff feed whose secret is `raw` (its URL without `.ics`), marked as read. A revoked
/// feed, one whose creator may no longer see it, or one whose place or member is gone
/// answers not found. Also the feed's id, under which its `Last-Modified` is kept.
pub(crate) async fn staff_feed(state: &AppState, raw: &str) -> Result<(String, i32), CalendarError> {
    if !token::looks_valid(raw) {
        return Err(CalendarError::NotFound);
    }
    let db = &state.db;
    let found = queries::live_feed(db, raw).await?.ok_or(CalendarError::NotFound)?;
    if !queries::creator_still_allowed(db, &found).await? {
        return Err(CalendarError::NotFound);
    }
    service::mark_used(db, &found, state.clock.now()).await?;
    let org = organisations::by_id(db, found.organisation_id)
        .await?
        .ok_or(CalendarError::NotFound)?;
    let ics = match (found.kind, found.place_id, found.staff_member_id) {
        (FeedKind::Place, Some(place_id), _) => {
            let p = place_queries::by_id(db, place_id)
                .await?
                .ok_or(CalendarError::NotFound)?;
            feed(state, &org, Scope::Place(&p), Audience::Staff).await?
        }
        (FeedKind::Staff, _, Some(member_id)) => {
            let m = staff_queries::member(db, member_id)
                .await?
                .filter(|m| m.active)
                .ok_or(CalendarError::NotFound)?;
            feed(state, &org, Scope::Staff(&m), Audience::Staff).await?
        }
        _ => return Err(CalendarError::NotFound),
    };
    Ok((ics, found.id))
}

/// The public feed of an open place's sessions; `None` when there is no such place.
pub(crate) async fn place_sessions(state: &AppState, place_id: i32) -> Result<Option<String>, DbErr> {
    let db = &state.db;
    let Some(p) = place_queries::active_by_id(db, place_id).await? else {
        return Ok(None);
    };
    let Some(org) = organisations::by_id(db, p.organisation_id).await? else {
        return Ok(None);
    };
    Ok(Some(feed(state, &org, Scope::Place(&p), Audience::Public).await?))
}

/// What a feed shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audience {
    /// Anyone: sessions only, no names.
    Public,
    /// Holders of a staff feed token: registrants and residents by name.
    Staff,
}

/// Whose bookings a feed lists.
pub(crate) enum Scope<'a> {
    Place(&'a place::Model),
    Staff(&'a staff_member::Model),
}

/// Everything the events of one feed are built from.
struct FeedData {
    sessions: Vec<session::Model>,
    appointments: Vec<appointment::Model>,
    workshops: HashMap<i32, workshop::Model>,
    places: HashMap<i32, place::Model>,
    motifs: HashMap<i32, motif::Model>,
    registrations: HashMap<i32, Vec<registration::Model>>,
}

/// A feed of the organisation's bookings in `scope`, from [`FEED_PAST`] ago to [`FEED_AHEAD`].
/// Cancelled ones stay listed with `STATUS:CANCELLED`, so subscribed calendars drop them.
pub(crate) async fn feed(
    state: &AppState,
    organisation: &organisation::Model,
    scope: Scope<'_>,
    audience: Audience,
) -> Result<String, DbErr> {
    let now = state.clock.now();
    let (from, to) = (now - FEED_PAST, now + FEED_AHEAD);
    let db = &state.db;
    let mut sessions = session::Entity::find()
        .filter(session::Column::OrganisationId.eq(organisation.id))
        .filter(session::Column::EndsAt.gt(from))
        .filter(session::Column::StartsAt.lt(to))
        .order_by_asc(session::Column::StartsAt)
        .order_by_asc(session::Column::Id)
        .limit(FEED_MAX_EVENTS);
    let mut appointments = appointment::Entity::find()
        .filter(appointment::Column::OrganisationId.eq(organisation.id))
        .filter(appointment::Column::EndsAt.gt(from))
        .filter(appointment::Column::StartsAt.lt(to))
        .order_by_asc(appointment::Column::StartsAt)
        .order_by_asc(appointment::Column::Id)
        .limit(FEED_MAX_EVENTS);
    let name = match &scope {
        Scope::Place(p) => {
            sessions = sessions.filter(session::Column::PlaceId.eq(p.id));
            appointments = appointments.filter(appointment::Column::PlaceId.eq(p.id));
            match audience {
                Audience::Public => format!("Ateliers — {}", p.name),
                Audience::Staff => format!("{} — agenda", p.name),
            }
        }
        Scope::Staff(m) => {
            sessions = sessions.filter(session::Column::FacilitatorId.eq(m.id));
            appointments = appointments.filter(appointment::Column::BookedByStaffId.eq(m.id));
            format!("Agenda de {}", m.name)
        }
    };
    let sessions = sessions.all(db).await?;
    let appointments = match audience {
        Audience::Public => vec![],
        Audience::Staff => appointments.all(db).await?,
    };
    let data = load(db, sessions, appointments, audience).await?;
    let events = events(state, organisation, &data, audience);
    Ok(ical::feed(&name, &events))
}

/// Which feed a version belongs to.
pub(crate) enum FeedKey {
    /// A staff feed, by its `feed_token` row.
    Token(i32),
    /// A place's public feed of sessions.
    PublicPlace(i32),
}

impl FeedKey {
    fn as_key(&self) -> String {
        match self {
            FeedKey::Token(id) => format!("token-{id}"),
            FeedKey::PublicPlace(id) => format!("place-{id}"),
        }
    }
}

/// The feed's `Last-Modified`: when the version named by `etag` was first served. A new
/// version is dated now, and always at least a second after the one it replaces, so that a
/// subscriber's `If-Modified-Since` (to the second) never hides it.
pub(crate) async fn last_modified<C: ConnectionTrait>(
    db: &C,
    feed: FeedKey,
    etag: &str,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, DbErr> {
    let key = feed.as_key();
    let now = now.trunc_subsecs(0);
    let current = feed_version::Entity::find_by_id(key.clone()).one(db).await?;
    match current {
        Some(v) if v.etag == etag => return Ok(v.changed_at),
        Some(v) => {
            let changed = now.max(v.changed_at + Duration::seconds(1));
            // Only over the version read: another instance may have written this one already.
            feed_version::Entity::update_many()
                .col_expr(feed_version::Column::Etag, Expr::value(etag))
                .col_expr(feed_version::Column::ChangedAt, Expr::value(changed))
                .filter(feed_version::Column::Key.eq(key.clone()))
                .filter(feed_version::Column::Etag.eq(v.etag))
                .exec(db)
                .await?;
        }
        None => {
            feed_version::Entity::insert(feed_version::ActiveModel {
                key: Set(key.clone()),
                etag: Set(etag.to_string()),
                changed_at: Set(now),
            })
            .on_conflict_do_nothing()
            .exec_without_returning(db)
            .await?;
        }
    }
    let stored = feed_version::Entity::find_by_id(key).one(db).await?;
    Ok(match stored {
        Some(v) if v.etag == etag => v.changed_at,
        _ => now,
    })
}

async fn load<C: ConnectionTrait>(
    db: &C,
    sessions: Vec<session::Model>,
    appointments: Vec<appointment::Model>,
    audience: Audience,
) -> Result<FeedData, DbErr> {
    let workshops = workshop::Entity::find()
        .filter(workshop::Column::Id.is_in(sessions.iter().map(|s| s.workshop_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.id, w))
        .collect();
    let place_ids: Vec<i32> = sessions
        .iter()
        .map(|s| s.place_id)
        .chain(appointments.iter().map(|a| a.place_id))
        .collect();
    let places = place::Entity::find()
        .filter(place::Column::Id.is_in(place_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let motifs = motif::Entity::find()
        .filter(motif::Column::Id.is_in(appointments.iter().map(|a| a.motif_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let mut registrations: HashMap<i32, Vec<registration::Model>> = HashMap::new();
    if audience == Audience::Staff && !sessions.is_empty() {
        for r in registration::Entity::find()
            .filter(registration::Column::SessionId.is_in(sessions.iter().map(|s| s.id)))
            .filter(registration::Column::Status.ne("cancelled"))
            .order_by_asc(registration::Column::Id)
            .all(db)
            .await?
        {
            registrations.entry(r.session_id).or_default().push(r);
        }
    }
    Ok(FeedData {
        sessions,
        appointments,
        workshops,
        places,
        motifs,
        registrations,
    })
}

fn location(p: Option<&place::Model>) -> String {
    p.map(|p| format!("{}, {}, {} {}", p.name, p.address, p.postal_code, p.city))
        .unwrap_or_default()
}

fn method(cancelled: bool) -> CalendarMethod {
    if cancelled {
        CalendarMethod::Cancel
    } else {
        CalendarMethod::Request
    }
}

fn events(
    state: &AppState,
    organisation: &organisation::Model,
    data: &FeedData,
    audience: Audience,
) -> Vec<CalendarEvent> {
    let host = state.public_host();
    // The organisation's random part, as in the bookings' UIDs.
    let part = match organisation.calendar_uid_part.as_str() {
        "" => String::new(),
        p => format!("-{p}"),
    };
    let base = |uid: String,
                sequence: i32,
                cancelled: bool,
                summary: String,
                place: Option<&place::Model>,
                description: Vec<String>,
                starts_at: DateTime<Utc>,
                ends_at: DateTime<Utc>,
                dtstamp: DateTime<Utc>| CalendarEvent {
        uid,
        sequence: u32::try_from(sequence).unwrap_or(0),
        method: method(cancelled),
        summary,
        location: location(place),
        description: description.join("\n"),
        url: None,
        starts_at,
        ends_at,
        dtstamp,
        organizer_name: organisation.name.clone(),
        organizer_email: state.settings.mail_from.clone(),
        attendee_name: String::new(),
        attendee_email: None,
    };
    let mut out = Vec::with_capacity(data.sessions.len() + data.appointments.len());
    for s in &data.sessions {
        let w = data.workshops.get(&s.workshop_id);
        let title = w.map(|w| w.title.as_str()).unwrap_or("Atelier");
        let cancelled = s.status == SessionStatus::Cancelled;
        let mut lines = Vec::new();
        if cancelled {
            lines.push(match s.cancel_reason.as_deref().filter(|r| !r.trim().is_empty()) {
                Some(r) => format!("Séance annulée : {r}"),
                None => "Séance annulée.".to_string(),
            });
        }
        if let Some(w) = w {
            if !w.summary.trim().is_empty() {
                lines.push(w.summary.trim().to_string());
            }
            if !w.level.trim().is_empty() {
                lines.push(format!("Niveau : {}", w.level.trim()));
            }
            if !w.audience.trim().is_empty() {
                lines.push(format!("Public : {}", w.audience.trim()));
            }
        }
        if audience == Audience::Staff {
            let regs = data.registrations.get(&s.id).map(Vec::as_slice).unwrap_or_default();
            let confirmed: Vec<&str> = regs
                .iter()
                .filter(|r| r.status == RegistrationStatus::Confirmed)
                .map(|r| r.name.as_str())
                .collect();
            let waiting: Vec<&str> = regs
                .iter()
                .filter(|r| r.status == RegistrationStatus::Waitlisted)
                .map(|r| r.name.as_str())
                .collect();
            lines.push(format!(
                "Inscrits ({}/{}) : {}",
                confirmed.len(),
                s.capacity,
                if confirmed.is_empty() {
                    "aucun".to_string()
                } else {
                    confirmed.join(", ")
                }
            ));
            if !waiting.is_empty() {
                lines.push(format!("Liste d'attente : {}", waiting.join(", ")));
            }
        }
        out.push(base(
            format!("session-{}{part}@{host}", s.id),
            s.ical_sequence,
            cancelled,
            format!("Atelier « {title} »"),
            data.places.get(&s.place_id),
            lines,
            s.starts_at,
            s.ends_at,
            s.updated_at,
        ));
    }
    for a in &data.appointments {
        let label = data
            .motifs
            .get(&a.motif_id)
            .map(|m| m.label.as_str())
            .unwrap_or("Rendez-vous");
        let cancelled = a.status == AppointmentStatus::Cancelled;
        let mut lines = Vec::new();
        if cancelled {
            lines.push(match a.cancel_reason.as_deref().filter(|r| !r.trim().is_empty()) {
                Some(r) => format!("Rendez-vous annulé : {r}"),
                None => "Rendez-vous annulé.".to_string(),
            });
        }
        lines.push(format!("Personne : {}", a.name));
        let mut push = |label: &str, v: &Option<String>| {
            if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                lines.push(format!("{label} : {v}"));
            }
        };
        push("Téléphone", &a.phone);
        push("E-mail", &a.email);
        push("Note", &a.note);
        push("Besoins d'accessibilité", &a.accessibility_needs);
        lines.push(format!("Poste : {}", a.desk));
        out.push(base(
            format!("appointment-{}-agenda{part}@{host}", a.id),
            a.ical_sequence,
            cancelled,
            format!("Rendez-vous « {label} » — {}", a.name),
            data.places.get(&a.place_id),
            lines,
            a.starts_at,
            a.ends_at,
            a.updated_at,
        ));
    }
    out.sort_by(|a, b| a.starts_at.cmp(&b.starts_at).then_with(|| a.uid.cmp(&b.uid)));
    out
}
