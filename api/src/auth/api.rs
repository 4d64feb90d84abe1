//! Staff sign-in and staff accounts.
use chrono::{DateTime, Utc};
use entities::staff_member;
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json};
use sea_orm::{ActiveModelTrait, Set};

use super::{
    Admin, Role, Staff,
    accounts::{self, AccountChange},
    password, queries,
    sign_in::{SignInError, sign_in, sign_out},
};
use crate::{
    domain::contact::{EmailAddress, PersonName},
    http::error::{ApiError, ApiResult, Problem},
    http::tags::ApiTags,
    platform::state::AppState,
};

#[derive(Object, Debug)]
pub(crate) struct LoginRequest {
    #[oai(validator(max_length = 254))]
    pub email: crate::domain::text::Line,
    #[oai(validator(max_length = 200))]
    pub password: crate::domain::text::Line,
}

#[derive(Object, Debug)]
pub(crate) struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub staff: StaffMember,
}

#[derive(Object, Debug, Clone)]
pub(crate) struct StaffMember {
    pub id: i32,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
}

impl From<staff_member::Model> for StaffMember {
    fn from(m: staff_member::Model) -> StaffMember {
        StaffMember {
            id: m.id,
            role: m.role,
            email: m.email,
            name: m.name,
            active: m.active,
        }
    }
}

#[derive(Object, Debug)]
pub(crate) struct StaffInput {
    #[oai(validator(max_length = 254))]
    pub email: crate::domain::text::Line,
    #[oai(validator(max_length = 200))]
    pub name: crate::domain::text::Line,
    pub role: Role,
    /// Leave it out to invite the person instead: the answer then carries, once, the link
    /// with which they set their own password (valid 7 days, single use).
    #[oai(validator(min_length = 10, max_length = 200))]
    pub password: Option<crate::domain::text::Line>,
}

/// The link an invited account sets its password with, shown only in this answer.
#[derive(Object, Debug)]
pub(crate) struct StaffInvitation {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// A new account; `invitation` when it was created without a password.
#[derive(Object, Debug)]
pub(crate) struct CreatedStaff {
    #[oai(flatten)]
    pub staff: StaffMember,
    #[oai(skip_serializing_if_is_none)]
    pub invitation: Option<StaffInvitation>,
}

#[derive(Object, Debug)]
pub(crate) struct StaffUpdate {
    pub role: Option<Role>,
    pub active: Option<bool>,
}

#[derive(ApiResponse)]
pub(crate) enum LoggedOut {
    /// The token no longer works.
    #[oai(status = 204)]
    Done,
}

#[derive(ApiResponse)]
pub(crate) enum StaffCreated {
    #[oai(status = 201)]
    Created(Json<CreatedStaff>),
}

pub struct AuthApi;

#[OpenApi(prefix_path = "/api/v1/auth", tag = "ApiTags::Auth")]
impl AuthApi {
    /// Sign in with e-mail and password; answers a bearer token valid 12 hours.
    #[oai(path = "/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        state: Data<&AppState>,
        req: &poem::Request,
        body: Json<LoginRequest>,
    ) -> ApiResult<Json<LoginResponse>> {
        let client = crate::http::limits::client_of(req, state.settings.trust_proxy);
        match sign_in(&state, &body.email, &body.password, client).await {
            Ok(done) => Ok(Json(LoginResponse {
                token: done.token,
                expires_at: done.expires_at,
                staff: done.member.into(),
            })),
            Err(SignInError::BadCredentials) => Err(bad_credentials()),
            Err(e @ SignInError::Delayed(seconds)) => Err(ApiError::TooManyRequests(
                Json(Problem::new("login_delayed", e.to_string())),
                seconds as u64,
            )),
            Err(SignInError::Db(e)) => Err(e.into()),
        }
    }

    /// Revoke the token used for this call.
    #[oai(path = "/logout", method = "post", operation_id = "logout")]
    async fn logout(&self, state: Data<&AppState>, Staff(me): Staff) -> ApiResult<LoggedOut> {
        sign_out(&state, &me).await?;
        Ok(LoggedOut::Done)
    }

    /// Who the token belongs to.
    #[oai(path = "/me", method = "get", operation_id = "whoAmI")]
    async fn me(&self, state: Data<&AppState>, Staff(me): Staff) -> ApiResult<Json<StaffMember>> {
        let m = queries::member(&state.db, me.id)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        Ok(Json(m.into()))
    }
}

fn bad_credentials() -> ApiError {
    ApiError::Unauthorized(Json(Problem::new(
        "bad_credentials",
        "Adresse e-mail ou mot de passe incorrect.",
    )))
}

pub struct AdminStaffApi;

#[OpenApi(prefix_path = "/api/v1/admin", tag = "ApiTags::AdminOrganisation")]
impl AdminStaffApi {
    /// The organisation's staff accounts (admin).
    #[oai(path = "/staff", method = "get", operation_id = "adminListStaff")]
    async fn list(&self, state: Data<&AppState>, Admin(me): Admin) -> ApiResult<Json<Vec<StaffMember>>> {
        let rows = queries::members(&state.db, me.organisation_id).await?;
        Ok(Json(rows.into_iter().map(StaffMember::from).collect()))
    }

    /// Create a staff account (admin): with a password, or without one as the console does,
    /// answering the invitation link once.
    #[oai(path = "/staff", method = "post", operation_id = "adminCreateStaff")]
    async fn create(
        &self,
        state: Data<&AppState>,
        Admin(me): Admin,
        body: Json<StaffInput>,
    ) -> ApiResult<StaffCreated> {
        let created = match &body.password {
            Some(password) => CreatedStaff {
                staff: create_staff(&state, me.organisation_id, &body.email, &body.name, body.role, password)
                    .await?
                    .into(),
                invitation: None,
            },
            None => {
                // `parse` fails with at least one problem; the API answers the first.
                let new = accounts::NewAccount::parse(&body.email, &body.name, body.role)
                    .map_err(|problems| ApiError::from_domain(&problems[0]))?;
                let invited = accounts::invite(&state, me.organisation_id, new).await?;
                CreatedStaff {
                    invitation: Some(StaffInvitation {
                        url: invited.link(&state),
                        expires_at: invited.expires_at,
                    }),
                    staff: invited.member.into(),
                }
            }
        };
        Ok(StaffCreated::Created(Json(created)))
    }

    /// Change a staff member's role or deactivate the account (admin). Deactivating revokes
    /// every token and invitation at once. The organisation's last active admin can neither
    /// be demoted nor deactivated (422 `last_admin`).
    #[oai(path = "/staff/:id", method = "patch", operation_id = "adminUpdateStaff")]
    async fn update(
        &self,
        state: Data<&AppState>,
        Admin(me): Admin,
        id: Path<i32>,
        body: Json<StaffUpdate>,
    ) -> ApiResult<Json<StaffMember>> {
        let change = AccountChange {
            role: body.role,
            active: body.active,
        };
        Ok(Json(accounts::change(&state, &me, id.0, change).await?.into()))
    }
}

/// Creates a staff account; shared by the API and `creneau staff add`.
pub async fn create_staff(
    state: &AppState,
    organisation_id: i32,
    email: &str,
    name: &str,
    role: Role,
    pass: &str,
) -> ApiResult<staff_member::Model> {
    let email = EmailAddress::parse(email)?;
    let name = PersonName::parse(name)?;
    if pass.chars().count() < 10 {
        return Err(ApiError::invalid(
            "password",
            "Le mot de passe doit compter au moins 10 caractères.",
        ));
    }
    let inserted = staff_member::ActiveModel {
        organisation_id: Set(organisation_id),
        email: Set(email.as_str().into()),
        name: Set(name.as_str().into()),
        role: Set(role),
        password_hash: Set(password::hash(pass)?),
        active: Set(true),
        failed_logins: Set(0),
        last_failed_login_at: Set(None),
        created_at: Set(state.clock.now()),
        ..Default::default()
    }
    .insert(&state.db)
    .await;
    match inserted {
        Ok(m) => Ok(m),
        Err(e) if crate::platform::db::is_unique_violation(&e) => Err(ApiError::conflict(
            "email_taken",
            "Un compte existe déjà avec cette adresse.",
        )),
        Err(e) => Err(e.into()),
    }
}
