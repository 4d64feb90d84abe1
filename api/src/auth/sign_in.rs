//! Signing a staff member in: the throttle, the password check and a fresh token; and out:
//! the token revoked. One function each for the API and the staff console.
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use entities::{sign_in_throttle, staff_member, staff_token};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, Set,
    sea_query::{Expr, ExprTrait},
};

use super::{StaffIdentity, password, staff::TOKEN_LIFETIME};
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

/// Checks the password and issues a token. Shared by the API's login and the staff console's
/// sign-in. Every try, right or wrong, known account or not, first takes a token from two
/// buckets (see [`PER_CLIENT`], [`PER_ACCOUNT`]); so an unknown e-mail answers exactly like
/// a known one, and tries sent in parallel are counted one by one.
pub(crate) async fn sign_in(
    state: &AppState,
    email: &str,
    pass: &str,
    client: Option<IpAddr>,
) -> Result<SignedIn, SignInError> {
    let now = state.clock.now();
    let email = email.trim().to_lowercase();
    let client = client.map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
    let per_client = PER_CLIENT.key(&format!("{email}\u{0}{client}"));
    let per_account = PER_ACCOUNT.key(&email);
    if let Err(wait) = take(state, &PER_CLIENT, &per_client, now).await? {
        return Err(SignInError::Delayed(wait));
    }
    if let Err(wait) = take(state, &PER_ACCOUNT, &per_account, now).await? {
        give_back(state, &PER_CLIENT, &per_client).await?;
        return Err(SignInError::Delayed(wait));
    }
    let member = staff_member::Entity::find()
        .filter(staff_member::Column::Email.eq(&email))
        .one(&state.db)
        .await?;
    let Some(member) = member else {
        // Same work as a real check, so timing does not tell which e-mails exist.
        password::verify_bounded(pass, password::decoy_hash()).await;
        return Err(SignInError::BadCredentials);
    };
    if !member.active || !password::verify_bounded(pass, &member.password_hash).await {
        return Err(SignInError::BadCredentials);
    }
    // The right password: this client starts afresh, and its try is not held against the account.
    forget(state, &per_client).await?;
    give_back(state, &PER_ACCOUNT, &per_account).await?;
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
    Ok(SignedIn {
        token: raw,
        expires_at,
        member,
    })
}

/// Revokes the token `me` called with (signing out).
pub(crate) async fn sign_out(state: &AppState, me: &StaffIdentity) -> Result<(), DbErr> {
    staff_token::Entity::update_many()
        .col_expr(staff_token::Column::RevokedAt, Expr::value(state.clock.now()))
        .filter(staff_token::Column::Id.eq(me.token_id))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// A leaky bucket (GCRA): `burst` tries at once, then one more every `every`.
pub(crate) struct Bucket {
    name: &'static str,
    burst: i64,
    every: Duration,
}

/// One account from one client address: five tries at once (typos happen), then one every
/// three minutes. An attacker at one address is slowed here, and only here.
pub(crate) const PER_CLIENT: Bucket = Bucket {
    name: "client",
    burst: 5,
    every: Duration::minutes(3),
};

/// One account from anywhere: thirty tries at once, then one a minute. One address (at most
/// one try every three minutes after its five) can never empty it, so it cannot lock the
/// owner out; only many addresses together meet this ceiling.
pub(crate) const PER_ACCOUNT: Bucket = Bucket {
    name: "account",
    burst: 30,
    every: Duration::minutes(1),
};

impl Bucket {
    /// The row's key: a hash, so the table holds no e-mail address.
    fn key(&self, who: &str) -> String {
        token::hash(&format!("sign-in:{}:{who}", self.name))
    }
}

/// Takes one try from the bucket, atomically: one conditional UPDATE, so parallel tries are
/// counted one by one on both databases. `Err` carries the seconds to wait.
async fn take(state: &AppState, bucket: &Bucket, key: &str, now: DateTime<Utc>) -> Result<Result<(), i64>, DbErr> {
    let now_ms = now.timestamp_millis();
    let every = bucket.every.num_milliseconds();
    let tolerance = (bucket.burst - 1) * every;
    sign_in_throttle::Entity::insert(sign_in_throttle::ActiveModel {
        key: Set(key.to_string()),
        tat_ms: Set(now_ms),
    })
    .on_conflict_do_nothing()
    .exec_without_returning(&state.db)
    .await?;
    let taken = sign_in_throttle::Entity::update_many()
        .col_expr(
            sign_in_throttle::Column::TatMs,
            match state.db.get_database_backend() {
                sea_orm::DbBackend::Postgres => {
                    Expr::cust_with_values("CASE WHEN tat_ms > $1 THEN tat_ms ELSE $1 END + $2", [now_ms, every])
                }
                _ => Expr::cust_with_values(
                    "CASE WHEN tat_ms > ? THEN tat_ms ELSE ? END + ?",
                    [now_ms, now_ms, every],
                ),
            },
        )
        .filter(sign_in_throttle::Column::Key.eq(key))
        .filter(sign_in_throttle::Column::TatMs.lte(now_ms + tolerance))
        .exec(&state.db)
        .await?
        .rows_affected;
    if taken == 1 {
        return Ok(Ok(()));
    }
    let tat = sign_in_throttle::Entity::find_by_id(key.to_string())
        .one(&state.db)
        .await?
        .map_or(now_ms, |row| row.tat_ms);
    let wait_ms = tat - tolerance - now_ms;
    // Round up: a client that waits exactly this long is let in.
    Ok(Err(Ord::max((wait_ms + 999) / 1000, 1)))
}

/// Gives back a try taken by [`take`].
async fn give_back(state: &AppState, bucket: &Bucket, key: &str) -> Result<(), DbErr> {
    sign_in_throttle::Entity::update_many()
        .col_expr(
            sign_in_throttle::Column::TatMs,
            Expr::col(sign_in_throttle::Column::TatMs).sub(bucket.every.num_milliseconds()),
        )
        .filter(sign_in_throttle::Column::Key.eq(key))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// Forgets a bucket; and any bucket full again for a day, which is the same as none.
async fn forget(state: &AppState, key: &str) -> Result<(), DbErr> {
    let stale = (state.clock.now() - Duration::days(1)).timestamp_millis();
    sign_in_throttle::Entity::delete_many()
        .filter(
            sign_in_throttle::Column::Key
                .eq(key)
                .or(sign_in_throttle::Column::TatMs.lt(stale)),
        )
        .exec(&state.db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_alone_can_never_empty_the_account_bucket() {
        // After its burst, one client takes a try every `PER_CLIENT.every`; the account
        // bucket refills faster than that.
        assert!(PER_ACCOUNT.every < PER_CLIENT.every);
        const { assert!(PER_ACCOUNT.burst > PER_CLIENT.burst) };
    }
}
