//! Signing a staff member in: the password check, the per-account delay after failures, and
//! a fresh token. One function for the API and the staff console.
use chrono::{DateTime, Duration, Utc};
use entities::{staff_member, staff_token};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set,
    sea_query::{Expr, ExprTrait},
};

use super::{password, staff::TOKEN_LIFETIME};
use crate::{platform::state::AppState, platform::token};

pub(crate) struct SignedIn {
    /// The raw token: shown to the caller once, stored only hashed.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub member: staff_member::Model,
}

/// Why a sign-in failed, in words fit for the page.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum SignInError {
    #[error("Adresse e-mail ou mot de passe incorrect.")]
    BadCredentials,
    #[error("Trop d'essais infructueux : patientez {0} secondes avant de réessayer.")]
    Delayed(i64),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

/// Checks the password (with a growing delay after repeated failures on one account) and
/// issues a token. Shared by the API's login and the staff console's sign-in.
pub(crate) async fn sign_in(state: &AppState, email: &str, pass: &str) -> Result<SignedIn, SignInError> {
    let now = state.clock.now();
    let email = email.trim().to_lowercase();
    let member = staff_member::Entity::find()
        .filter(staff_member::Column::Email.eq(&email))
        .one(&state.db)
        .await?;
    let Some(member) = member else {
        // Same work as a real check, so timing does not tell which e-mails exist.
        password::verify_bounded(pass, password::decoy_hash()).await;
        return Err(SignInError::BadCredentials);
    };
    if let Some(last) = member.last_failed_login_at {
        let wait = last + login_delay(member.failed_logins) - now;
        if wait > Duration::zero() {
            return Err(SignInError::Delayed(Ord::max(wait.num_seconds(), 1)));
        }
    }
    if !member.active || !password::verify_bounded(pass, &member.password_hash).await {
        staff_member::Entity::update_many()
            .col_expr(
                staff_member::Column::FailedLogins,
                Expr::col(staff_member::Column::FailedLogins).add(1),
            )
            .col_expr(staff_member::Column::LastFailedLoginAt, Expr::value(now))
            .filter(staff_member::Column::Id.eq(member.id))
            .exec(&state.db)
            .await?;
        return Err(SignInError::BadCredentials);
    }
    let raw = token::generate();
    let expires_at = now + TOKEN_LIFETIME;
    staff_token::ActiveModel {
        staff_member_id: Set(member.id),
        token_hash: Set(token::hash(&raw)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    let mut a: staff_member::ActiveModel = member.into();
    a.failed_logins = Set(0);
    a.last_failed_login_at = Set(None);
    let member = a.update(&state.db).await?;
    Ok(SignedIn {
        token: raw,
        expires_at,
        member,
    })
}

/// After this many failures in a row an account waits before the next try, doubling each time.
const FREE_FAILURES: i32 = 5;

/// The wait imposed after `failures` consecutive failed logins: none for the first five
/// (typos happen), then 2, 4, 8 … seconds, at most 15 minutes.
pub(crate) fn login_delay(failures: i32) -> Duration {
    if failures < FREE_FAILURES {
        return Duration::zero();
    }
    let exp = Ord::min(failures - FREE_FAILURES, 10) as u32;
    Duration::seconds(Ord::min(2i64 << exp, 900))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_delay_grows_after_five_failures_and_is_capped() {
        assert_eq!(login_delay(4), Duration::zero());
        assert_eq!(login_delay(5), Duration::seconds(2));
        assert_eq!(login_delay(6), Duration::seconds(4));
        assert_eq!(login_delay(40), Duration::seconds(900));
    }
}
