//! Who is calling a staff operation, and what their role lets them do.
use chrono::Duration;
pub use entities::kinds::Role;
use entities::{staff_member, staff_token};
use poem::Request;
use poem_openapi::{SecurityScheme, auth::Bearer};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{
    domain::refusal::{DomainError, Refusal},
    http::error::ApiError,
    platform::state::AppState,
    platform::token,
};

/// How long a staff token lives: one working day and a margin.
pub(crate) const TOKEN_LIFETIME: Duration = Duration::hours(12);

// The three schemes below publish one security scheme, `StaffBearer`, with the same text;
// as handler parameters they yield the signed-in staff member, or answer before the handler
// runs: 401 without valid credentials, 403 when the role is not enough.

/// Staff credentials: `Authorization: Bearer <token>` from `POST /api/v1/auth/login`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", rename = "StaffBearer", checker = "check_staff")]
pub struct Staff(pub StaffIdentity);

// For operations only coordinators and admins may call.
/// Staff credentials: `Authorization: Bearer <token>` from `POST /api/v1/auth/login`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", rename = "StaffBearer", checker = "check_manager")]
pub struct Manager(pub StaffIdentity);

// For the operations on staff accounts: admins only.
/// Staff credentials: `Authorization: Bearer <token>` from `POST /api/v1/auth/login`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", rename = "StaffBearer", checker = "check_admin")]
pub struct Admin(pub StaffIdentity);

async fn check_staff(req: &Request, bearer: Bearer) -> poem::Result<StaffIdentity> {
    let state = req
        .data::<AppState>()
        .ok_or_else(|| ApiError::internal("the application state is not attached"))?;
    resolve_staff(state, &bearer.token)
        .await
        .map_err(|e| ApiError::from_domain(&e).into())
}

async fn check_manager(req: &Request, bearer: Bearer) -> poem::Result<StaffIdentity> {
    let me = check_staff(req, bearer).await?;
    me.require_manager()?;
    Ok(me)
}

async fn check_admin(req: &Request, bearer: Bearer) -> poem::Result<StaffIdentity> {
    let me = check_staff(req, bearer).await?;
    me.require_admin()?;
    Ok(me)
}

#[derive(Debug, Clone)]
pub struct StaffIdentity {
    pub id: i32,
    pub organisation_id: i32,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub token_id: i32,
}

impl StaffIdentity {
    /// Coordinators and admins manage places, sessions, appointments.
    pub(crate) fn require_manager(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Admin | Role::Coordinator => Ok(()),
            Role::Facilitator => Err(ApiError::forbidden()),
        }
    }
    pub(crate) fn require_admin(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Admin => Ok(()),
            _ => Err(ApiError::forbidden()),
        }
    }
}

/// Why a staff token was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("Connexion requise : identifiants absents, expirés ou révoqués.")]
    Unauthenticated,
    #[error("database")]
    Db(#[from] sea_orm::DbErr),
}

impl DomainError for AuthError {
    fn refusal(&self) -> Refusal {
        match self {
            AuthError::Unauthenticated => Refusal::Unauthenticated,
            AuthError::Db(_) => Refusal::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            AuthError::Unauthenticated => "unauthorized",
            AuthError::Db(_) => "internal",
        }
    }
}

/// Resolves a bearer token (the API's header or the console's cookie) to an active staff
/// member.
pub async fn resolve_staff(state: &AppState, raw: &str) -> Result<StaffIdentity, AuthError> {
    if !token::looks_valid(raw) {
        return Err(AuthError::Unauthenticated);
    }
    let now = state.clock.now();
    let Some(tok) = staff_token::Entity::find()
        .filter(staff_token::Column::TokenHash.eq(token::hash(raw)))
        .one(&state.db)
        .await?
    else {
        return Err(AuthError::Unauthenticated);
    };
    let Some(member) = staff_member::Entity::find_by_id(tok.staff_member_id)
        .one(&state.db)
        .await?
    else {
        return Err(AuthError::Unauthenticated);
    };
    if tok.revoked_at.is_some() || tok.expires_at <= now || !member.active {
        return Err(AuthError::Unauthenticated);
    }
    let role = member.role;
    Ok(StaffIdentity {
        id: member.id,
        organisation_id: member.organisation_id,
        name: member.name,
        email: member.email,
        role,
        token_id: tok.id,
    })
}
