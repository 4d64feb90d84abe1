//! How a service says no, whatever the edge that reports it. Each feature's error enum
//! (registrations, appointments, planning…) classes its variants here once; the API maps a
//! class to a status and a JSON problem, the pages to a French page or a message beside a
//! field. Services never see HTTP types.

/// What kind of refusal an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No valid staff credentials (absent, expired, revoked).
    Unauthenticated,
    /// Nothing here, or not the caller's to see (another organisation's row).
    NotFound,
    /// The caller's role does not allow it.
    Forbidden,
    /// The request conflicts with the current state (already registered, slot just taken).
    Conflict,
    /// Well formed but against a rule (closed, outside the window, too late).
    Rule,
    /// One field's value is not acceptable.
    Invalid { field: &'static str },
    /// Our failure (the database); nothing was changed, the cause is logged.
    Unexpected,
}

/// An error a service returns: a French message fit for a resident or an agent
/// (`Display`), a class, and a stable machine-readable code.
pub(crate) trait DomainError: std::error::Error {
    fn refusal(&self) -> Refusal;
    /// e.g. `slot_taken`, `registration_closed`; `validation` for [`Refusal::Invalid`].
    fn code(&self) -> &'static str;
    /// The points of a refusal that lists several (the warnings to confirm, the appointments
    /// in the way), each as (code, French text); none for most.
    fn details(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

/// `impl From<E> for Edge` through `Edge::from_domain(&err)`, for each domain error `E`: how
/// each edge (the API, the pages) takes every service's errors with `?`.
macro_rules! map_domain_errors {
    ($edge:ty: $($error:ty),* $(,)?) => {$(
        impl From<$error> for $edge {
            fn from(err: $error) -> $edge {
                <$edge>::from_domain(&err)
            }
        }
    )*};
}
pub(crate) use map_domain_errors;

/// "error: cause: cause…": every source of an unexpected error, for the log.
pub(crate) fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("inner")]
    struct Inner;

    #[test]
    fn the_whole_cause_chain_is_written_out() {
        assert_eq!(chain(&Outer(Inner)), "outer: inner");
    }
}
