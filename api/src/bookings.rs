//! What registrations and appointments share: their booking code, and finding a booking
//! again from its code and the contact it was made with (`/retrouver`, `/r/{code}`).
use std::{num::NonZeroU32, sync::Arc};

use entities::{appointment, booking_code, kinds::BookingKind, registration, session};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait, JoinType, QueryFilter, QuerySelect,
    sea_query::{Expr, OnConflict},
};

use crate::{
    domain::{
        booking_code::BookingCode,
        contact::{EmailAddress, PhoneNumber},
    },
    platform::token,
};

/// Claims a code for a booking inserted with `first` already in its `booking_code` (an
/// `INSERT … ON CONFLICT DO NOTHING`: a code two bookings draw at once goes to one of them).
/// When `first` is taken, as happens about once in a hundred million draws, fresh codes are
/// drawn until one is free and the booking is written again with it. Writing the first draw
/// with the booking saves that second write in the transaction holding the session's lock.
/// Returns the code as stored (`K7P4QX`).
pub(crate) async fn claim<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
    kind: BookingKind,
    booking_id: i32,
    first: BookingCode,
) -> Result<String, DbErr> {
    let mut first = Some(first);
    // With 887 million codes, a second draw is already rare; twenty is out of the question
    // short of a bug.
    for _ in 0..20 {
        let written = first.is_some();
        let code = first.take().unwrap_or_else(BookingCode::random);
        let inserted = booking_code::Entity::insert(booking_code::ActiveModel {
            organisation_id: Set(organisation_id),
            code: Set(code.as_str().to_string()),
            booking_kind: Set(kind),
            booking_id: Set(booking_id),
        })
        .on_conflict(
            OnConflict::columns([booking_code::Column::OrganisationId, booking_code::Column::Code])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        if inserted == 1 {
            let code = code.as_str().to_string();
            if written {
                return Ok(code);
            }
            match kind {
                BookingKind::Registration => {
                    registration::Entity::update_many()
                        .col_expr(registration::Column::BookingCode, code.clone().into())
                        .filter(registration::Column::Id.eq(booking_id))
                        .exec(db)
                        .await?;
                }
                BookingKind::Appointment => {
                    appointment::Entity::update_many()
                        .col_expr(appointment::Column::BookingCode, code.clone().into())
                        .filter(appointment::Column::Id.eq(booking_id))
                        .exec(db)
                        .await?;
                }
            }
            return Ok(code);
        }
    }
    Err(DbErr::Custom("no free booking code after 20 draws".into()))
}

/// The rows a manage token opens: the token of the first message, or the one given when the
/// booking was last found again by its code.
pub(crate) fn registration_token(raw: &str) -> Condition {
    let h = token::hash(raw);
    Condition::any()
        .add(registration::Column::ManageTokenHash.eq(h.clone()))
        .add(registration::Column::FoundTokenHash.eq(h))
}

pub(crate) fn appointment_token(raw: &str) -> Condition {
    let h = token::hash(raw);
    Condition::any()
        .add(appointment::Column::ManageTokenHash.eq(h.clone()))
        .add(appointment::Column::FoundTokenHash.eq(h))
}

/// How the person proves the booking is theirs: the phone or the e-mail it was made with.
#[derive(Debug, Clone)]
pub enum Proof {
    Phone(PhoneNumber),
    Email(EmailAddress),
}

impl Proof {
    /// Reads what was typed in the one "phone or e-mail" field.
    pub fn parse(raw: &str) -> Option<Proof> {
        let raw = raw.trim();
        if raw.contains('@') {
            EmailAddress::parse(raw).ok().map(Proof::Email)
        } else {
            PhoneNumber::parse(raw).ok().map(Proof::Phone)
        }
    }

    /// Compares hashes of equal length in constant time, so that the time taken says
    /// nothing of how much of the stored contact matched, nor of whether there was one.
    fn matches(&self, email_key: Option<&str>, phone_key: Option<&str>) -> bool {
        let (given, stored) = match self {
            Proof::Phone(p) => (p.as_str(), phone_key),
            Proof::Email(e) => (e.as_str(), email_key),
        };
        let same = token::constant_time_eq(
            token::hash(given).as_bytes(),
            token::hash(stored.unwrap_or_default()).as_bytes(),
        );
        same && stored.is_some()
    }
}

/// A booking found again: which page to open and a fresh token for it.
#[derive(Debug)]
pub struct Found {
    pub kind: BookingKind,
    pub token: String,
}

/// A booking holding the code, with the contact keys to check the proof against.
struct Candidate {
    kind: BookingKind,
    id: i32,
    email_key: Option<String>,
    phone_key: Option<String>,
}

/// The bookings holding `code` in any organisation (a claim's organisation must be its
/// booking's: a claim never moves). Always the same two statements, whether the code exists
/// or not, so that a known code with a wrong contact costs what an unknown code costs.
async fn candidates<C: ConnectionTrait>(db: &C, code: &BookingCode) -> Result<Vec<Candidate>, DbErr> {
    let claimed = |kind: BookingKind| {
        Condition::all()
            .add(booking_code::Column::Code.eq(code.as_str()))
            .add(booking_code::Column::BookingKind.eq(kind))
    };
    let registrations: Vec<(i32, Option<String>, Option<String>)> = registration::Entity::find()
        .select_only()
        .column(registration::Column::Id)
        .column(registration::Column::EmailKey)
        .column(registration::Column::PhoneKey)
        .inner_join(session::Entity)
        .join(
            JoinType::InnerJoin,
            registration::Entity::belongs_to(booking_code::Entity)
                .from(registration::Column::Id)
                .to(booking_code::Column::BookingId)
                .into(),
        )
        .filter(claimed(BookingKind::Registration))
        .filter(
            Expr::col((session::Entity, session::Column::OrganisationId))
                .equals((booking_code::Entity, booking_code::Column::OrganisationId)),
        )
        .into_tuple()
        .all(db)
        .await?;
    let appointments: Vec<(i32, Option<String>, Option<String>)> = appointment::Entity::find()
        .select_only()
        .column(appointment::Column::Id)
        .column(appointment::Column::EmailKey)
        .column(appointment::Column::PhoneKey)
        .join(
            JoinType::InnerJoin,
            appointment::Entity::belongs_to(booking_code::Entity)
                .from(appointment::Column::Id)
                .to(booking_code::Column::BookingId)
                .into(),
        )
        .filter(claimed(BookingKind::Appointment))
        .filter(
            Expr::col((appointment::Entity, appointment::Column::OrganisationId))
                .equals((booking_code::Entity, booking_code::Column::OrganisationId)),
        )
        .into_tuple()
        .all(db)
        .await?;
    let of = |kind: BookingKind| {
        move |(id, email_key, phone_key): (i32, Option<String>, Option<String>)| Candidate {
            kind,
            id,
            email_key,
            phone_key,
        }
    };
    Ok(registrations
        .into_iter()
        .map(of(BookingKind::Registration))
        .chain(appointments.into_iter().map(of(BookingKind::Appointment)))
        .collect())
}

/// The booking holding `code` whose contact is `proof`, in any organisation, with a fresh
/// manage token stored for it; `None` when the code is unknown or the contact differs (the
/// caller answers both alike, and both do the same work: the same statements, and at least
/// one comparison of the proof, against a blank contact when the code is unknown).
pub async fn find_again<C: ConnectionTrait>(db: &C, code: &BookingCode, proof: &Proof) -> Result<Option<Found>, DbErr> {
    let found = candidates(db, code).await?;
    let blank = Candidate {
        kind: BookingKind::Registration,
        id: 0,
        email_key: None,
        phone_key: None,
    };
    let mut matched = None;
    for c in found.iter().chain(found.is_empty().then_some(&blank)) {
        // Every candidate is compared, even after a match.
        if proof.matches(c.email_key.as_deref(), c.phone_key.as_deref()) && matched.is_none() {
            matched = Some((c.kind, c.id));
        }
    }
    let Some((kind, id)) = matched else {
        return Ok(None);
    };
    let fresh = token::generate();
    let hash = token::hash(&fresh);
    match kind {
        BookingKind::Registration => {
            registration::Entity::update_many()
                .col_expr(registration::Column::FoundTokenHash, Some(hash).into())
                .filter(registration::Column::Id.eq(id))
                .exec(db)
                .await?;
        }
        BookingKind::Appointment => {
            appointment::Entity::update_many()
                .col_expr(appointment::Column::FoundTokenHash, Some(hash).into())
                .filter(appointment::Column::Id.eq(id))
                .exec(db)
                .await?;
        }
    }
    Ok(Some(Found { kind, token: fresh }))
}

/// Tries at finding a booking again are limited twice: per client address (a script trying
/// codes) and per code (many addresses trying the phones of one code).
pub(crate) struct FindAgainLimits {
    per_client: DefaultKeyedRateLimiter<std::net::IpAddr>,
    per_code: DefaultKeyedRateLimiter<String>,
    calls: std::sync::atomic::AtomicU64,
}

/// Per client: 20 tries a minute, in bursts of 20 (a room of residents behind one address
/// looking up their bookings). Per code: 10 tries an hour, in bursts of 10.
pub(crate) const PER_CLIENT_PER_MINUTE: u32 = 20;
pub(crate) const PER_CODE_BURST: u32 = 10;

impl FindAgainLimits {
    pub(crate) fn new() -> Arc<FindAgainLimits> {
        let per_client = NonZeroU32::new(PER_CLIENT_PER_MINUTE).expect("non-zero");
        let per_code = NonZeroU32::new(PER_CODE_BURST).expect("non-zero");
        Arc::new(FindAgainLimits {
            per_client: RateLimiter::keyed(Quota::per_minute(per_client).allow_burst(per_client)),
            per_code: RateLimiter::keyed(Quota::per_hour(per_code).allow_burst(per_code)),
            calls: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Whether this client may try now.
    pub(crate) fn client_ok(&self, client: std::net::IpAddr) -> bool {
        // Forget idle keys now and then, so memory stays bounded.
        if self.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 1024 == 1023 {
            self.per_client.retain_recent();
            self.per_code.retain_recent();
        }
        self.per_client.check_key(&client).is_ok()
    }

    /// Whether this code may be tried now.
    pub(crate) fn code_ok(&self, code: &BookingCode) -> bool {
        self.per_code.check_key(&code.as_str().to_string()).is_ok()
    }
}
