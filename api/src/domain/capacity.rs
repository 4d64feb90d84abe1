//! Seats, the waiting list and when a registration may be taken or cancelled.
//!
//! The seat itself is taken in the database by one conditional update (see
//! `workshops::service`); these are the rules around it, kept pure so they are tested alone.
use chrono::{DateTime, Utc};

/// A session's capacity: at least one seat, at most 500 (a larger number is a typo).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Seats(u16);

impl Seats {
    pub(crate) const MAX: u16 = 500;
    pub(crate) fn new(n: i64) -> Option<Seats> {
        (1..=i64::from(Self::MAX)).contains(&n).then_some(Seats(n as u16))
    }
    pub(crate) fn get(self) -> i32 {
        i32::from(self.0)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CapacityError {
    #[error("La capacité doit être comprise entre 1 et 500 places.")]
    OutOfRange,
    #[error(
        "Impossible de descendre à {requested} places : {confirmed} personnes sont déjà inscrites. Annulez d'abord des inscriptions."
    )]
    BelowConfirmed { requested: i32, confirmed: i32 },
}

/// What a change of capacity does: how many people leave the waiting list for a seat.
/// A cut below the confirmed count is refused rather than silently un-registering anyone.
pub(crate) fn capacity_change(confirmed: i32, waitlisted: i32, requested: i64) -> Result<(Seats, i32), CapacityError> {
    let seats = Seats::new(requested).ok_or(CapacityError::OutOfRange)?;
    if seats.get() < confirmed {
        return Err(CapacityError::BelowConfirmed {
            requested: seats.get(),
            confirmed,
        });
    }
    let promotions = (seats.get() - confirmed).min(waitlisted);
    Ok((seats, promotions))
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RegistrationClosed {
    #[error("Cette séance a été annulée.")]
    SessionCancelled,
    #[error("Les inscriptions à cette séance sont closes.")]
    Closed,
}

/// Whether a session takes registrations now. Staff may register someone until the end of
/// the session (a resident who turns up at the door); residents until the closing time.
pub(crate) fn registration_open(
    session_cancelled: bool,
    closes_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    by_staff: bool,
    now: DateTime<Utc>,
) -> Result<(), RegistrationClosed> {
    if session_cancelled {
        return Err(RegistrationClosed::SessionCancelled);
    }
    let limit = if by_staff { ends_at } else { closes_at };
    if now >= limit {
        return Err(RegistrationClosed::Closed);
    }
    Ok(())
}

/// A resident may cancel until the start; afterwards it is attendance, not a cancellation.
pub(crate) fn resident_may_cancel(starts_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now < starts_at
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn raising_capacity_promotes_at_most_the_waiting_list() {
        assert_eq!(capacity_change(8, 3, 10).unwrap().1, 2);
        assert_eq!(capacity_change(8, 1, 12).unwrap().1, 1);
    }

    #[test]
    fn cutting_capacity_below_the_confirmed_count_is_refused() {
        assert_eq!(
            capacity_change(8, 0, 6),
            Err(CapacityError::BelowConfirmed {
                requested: 6,
                confirmed: 8
            })
        );
        assert!(capacity_change(8, 0, 8).is_ok());
    }

    #[test]
    fn a_capacity_of_zero_or_thousands_is_refused() {
        assert_eq!(capacity_change(0, 0, 0), Err(CapacityError::OutOfRange));
        assert_eq!(capacity_change(0, 0, 5000), Err(CapacityError::OutOfRange));
    }

    #[test]
    fn residents_register_until_closing_and_staff_until_the_end() {
        let t = |h| Utc.with_ymd_and_hms(2027, 1, 5, h, 0, 0).unwrap();
        let (closes, ends) = (t(13), t(15));
        assert!(registration_open(false, closes, ends, false, t(12)).is_ok());
        assert_eq!(
            registration_open(false, closes, ends, false, t(13)),
            Err(RegistrationClosed::Closed)
        );
        assert!(registration_open(false, closes, ends, true, t(14)).is_ok());
        assert_eq!(
            registration_open(true, closes, ends, true, t(1)),
            Err(RegistrationClosed::SessionCancelled)
        );
    }
}
