//! Staff accounts as admins manage them: a new account with an invitation link to set its
//! password, a role change, a deactivation. One function per action, called by the API and
//! the console alike; the rule that an organisation always keeps an active admin lives here.
use chrono::{DateTime, Duration, Utc};
use entities::{staff_invitation, staff_member, staff_token};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, Set, sea_query::Expr,
};

use super::{Role, StaffIdentity, password};
use crate::{
    domain::{
        contact::{EmailAddress, PersonName},
        refusal::{DomainError, Refusal},
    },
    platform::{db, org_scope::find_in_org, state::AppState, token},
};

/// How long an invitation link works.
pub(crate) const INVITATION_LIFETIME: Duration = Duration::days(7);
/// The shortest password accepted.
pub(crate) const MIN_PASSWORD_CHARS: usize = 10;
const MAX_PASSWORD_CHARS: usize = 200;

/// Why an account could not be created or changed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AccountError {
    #[error("Ce compte n'existe pas.")]
    NotFound,
    #[error(
        "C'est le dernier compte administrateur actif de l'organisation : nommez d'abord un autre \
         administrateur, puis changez ce rôle ou désactivez ce compte."
    )]
    LastAdmin,
    #[error("Un compte existe déjà avec cette adresse.")]
    EmailTaken,
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error(
        "Ce lien n'est plus valable : il a déjà servi, il a expiré (7 jours) ou il a été retiré. \
         Demandez un nouveau lien à un administrateur."
    )]
    InvitationInvalid,
    #[error("database")]
    Db(#[from] DbErr),
    #[error("password hashing")]
    Hashing(#[from] anyhow::Error),
}

impl DomainError for AccountError {
    fn refusal(&self) -> Refusal {
        match self {
            AccountError::NotFound | AccountError::InvitationInvalid => Refusal::NotFound,
            AccountError::LastAdmin => Refusal::Rule,
            AccountError::EmailTaken => Refusal::Conflict,
            AccountError::Invalid { field, .. } => Refusal::Invalid { field },
            AccountError::Db(_) | AccountError::Hashing(_) => Refusal::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            AccountError::NotFound => "not_found",
            AccountError::InvitationInvalid => "invitation_invalid",
            AccountError::LastAdmin => "last_admin",
            AccountError::EmailTaken => "email_taken",
            AccountError::Invalid { .. } => "validation",
            AccountError::Db(_) | AccountError::Hashing(_) => "internal",
        }
    }
}

/// A new account as an admin types it, checked.
#[derive(Debug, Clone)]
pub(crate) struct NewAccount {
    pub email: EmailAddress,
    pub name: PersonName,
    pub role: Role,
}

impl NewAccount {
    /// Every problem at once (the page shows each beside its field).
    pub(crate) fn parse(email: &str, name: &str, role: Role) -> Result<NewAccount, Vec<AccountError>> {
        let email = EmailAddress::parse(email).map_err(|_| AccountError::Invalid {
            field: "email",
            message: "Indiquez l'adresse e-mail professionnelle de la personne (exemple : prenom.nom@ville.fr).".into(),
        });
        let name = PersonName::parse(name).map_err(|_| AccountError::Invalid {
            field: "name",
            message: "Indiquez le nom de la personne, sur une ligne (100 caractères au plus).".into(),
        });
        match (email, name) {
            (Ok(email), Ok(name)) => Ok(NewAccount { email, name, role }),
            (email, name) => Err([email.err(), name.err()].into_iter().flatten().collect()),
        }
    }
}

/// An account just created, with the link to set its password (shown once).
pub(crate) struct Invited {
    pub member: staff_member::Model,
    /// The raw token of `/staff/invitation/{token}`: stored only hashed.
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl Invited {
    pub(crate) fn link(&self, state: &AppState) -> String {
        invitation_link(state, &self.token)
    }
}

pub(crate) fn invitation_link(state: &AppState, raw: &str) -> String {
    format!(
        "{}/staff/invitation/{raw}",
        state.settings.public_url.trim_end_matches('/')
    )
}

/// Creates an account of `organisation_id` without a password, and its invitation.
pub(crate) async fn invite(state: &AppState, organisation_id: i32, new: NewAccount) -> Result<Invited, AccountError> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let inserted = staff_member::ActiveModel {
        organisation_id: Set(organisation_id),
        email: Set(new.email.as_str().into()),
        name: Set(new.name.as_str().into()),
        role: Set(new.role),
        // No hash matches an empty string: nobody signs in before the invitation is used.
        password_hash: Set(String::new()),
        active: Set(true),
        failed_logins: Set(0),
        last_failed_login_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let member = match inserted {
        Ok(m) => m,
        Err(e) if db::is_unique_violation(&e) => return Err(AccountError::EmailTaken),
        Err(e) => return Err(e.into()),
    };
    let (token, expires_at) = new_invitation(&txn, member.id, now).await?;
    txn.commit().await?;
    Ok(Invited {
        member,
        token,
        expires_at,
    })
}

/// A fresh invitation for an existing active account; the earlier ones stop working.
pub(crate) async fn reinvite(state: &AppState, me: &StaffIdentity, id: i32) -> Result<Invited, AccountError> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let member = find_in_org::<staff_member::Entity, _>(&txn, me.organisation_id, id)
        .await?
        .ok_or(AccountError::NotFound)?;
    if !member.active {
        return Err(AccountError::Invalid {
            field: "active",
            message: "Ce compte est désactivé : réactivez-le avant d'envoyer un lien.".into(),
        });
    }
    revoke_invitations(&txn, member.id, now).await?;
    let (token, expires_at) = new_invitation(&txn, member.id, now).await?;
    txn.commit().await?;
    Ok(Invited {
        member,
        token,
        expires_at,
    })
}

async fn new_invitation<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), DbErr> {
    let raw = token::generate();
    let expires_at = now + INVITATION_LIFETIME;
    staff_invitation::ActiveModel {
        staff_member_id: Set(member_id),
        token_hash: Set(token::hash(&raw)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((raw, expires_at))
}

/// What an admin changes on an account; `None` keeps the current value.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct AccountChange {
    pub role: Option<Role>,
    pub active: Option<bool>,
}

/// Changes a role or the active flag of an account of `me`'s organisation. An organisation
/// keeps at least one active admin: the last one can neither be demoted nor deactivated.
/// Deactivating revokes the account's sessions and invitations at once.
pub(crate) async fn change(
    state: &AppState,
    me: &StaffIdentity,
    id: i32,
    change: AccountChange,
) -> Result<staff_member::Model, AccountError> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    // The organisation's active admins, locked (PostgreSQL; SQLite writes one at a time), so
    // two admins demoting each other at once cannot both succeed.
    let admins = staff_member::Entity::find()
        .filter(staff_member::Column::OrganisationId.eq(me.organisation_id))
        .filter(staff_member::Column::Role.eq(Role::Admin))
        .filter(staff_member::Column::Active.eq(true))
        .lock_exclusive()
        .all(&txn)
        .await?;
    let member = find_in_org::<staff_member::Entity, _>(&txn, me.organisation_id, id)
        .await?
        .ok_or(AccountError::NotFound)?;
    let role = change.role.unwrap_or(member.role);
    let active = change.active.unwrap_or(member.active);
    let was_admin = member.role == Role::Admin && member.active;
    let stays_admin = role == Role::Admin && active;
    if was_admin && !stays_admin && admins.iter().all(|a| a.id == member.id) {
        return Err(AccountError::LastAdmin);
    }
    let deactivated = member.active && !active;
    let mut a: staff_member::ActiveModel = member.into();
    a.role = Set(role);
    a.active = Set(active);
    let updated = a.update(&txn).await?;
    if deactivated {
        staff_token::Entity::update_many()
            .col_expr(staff_token::Column::RevokedAt, Expr::value(now))
            .filter(staff_token::Column::StaffMemberId.eq(updated.id))
            .filter(staff_token::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        revoke_invitations(&txn, updated.id, now).await?;
    }
    txn.commit().await?;
    Ok(updated)
}

async fn revoke_invitations<C: ConnectionTrait>(db: &C, member_id: i32, now: DateTime<Utc>) -> Result<(), DbErr> {
    staff_invitation::Entity::update_many()
        .col_expr(staff_invitation::Column::RevokedAt, Expr::value(now))
        .filter(staff_invitation::Column::StaffMemberId.eq(member_id))
        .filter(staff_invitation::Column::UsedAt.is_null())
        .filter(staff_invitation::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The account an invitation link opens, while it still works.
pub(crate) async fn invited_member(state: &AppState, raw: &str) -> Result<staff_member::Model, AccountError> {
    let (_, member) = usable_invitation(&state.db, raw, state.clock.now()).await?;
    Ok(member)
}

async fn usable_invitation<C: ConnectionTrait>(
    db: &C,
    raw: &str,
    now: DateTime<Utc>,
) -> Result<(staff_invitation::Model, staff_member::Model), AccountError> {
    if !token::looks_valid(raw) {
        return Err(AccountError::InvitationInvalid);
    }
    let invitation = staff_invitation::Entity::find()
        .filter(staff_invitation::Column::TokenHash.eq(token::hash(raw)))
        .one(db)
        .await?
        .filter(|i| i.used_at.is_none() && i.revoked_at.is_none() && i.expires_at > now)
        .ok_or(AccountError::InvitationInvalid)?;
    let member = staff_member::Entity::find_by_id(invitation.staff_member_id)
        .one(db)
        .await?
        .filter(|m| m.active)
        .ok_or(AccountError::InvitationInvalid)?;
    Ok((invitation, member))
}

/// A password as typed twice on the invitation page.
pub(crate) fn check_password(password: &str, confirmation: &str) -> Result<(), AccountError> {
    let n = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
        return Err(AccountError::Invalid {
            field: "password",
            message: format!("Choisissez un mot de passe de {MIN_PASSWORD_CHARS} à {MAX_PASSWORD_CHARS} caractères."),
        });
    }
    if password != confirmation {
        return Err(AccountError::Invalid {
            field: "confirmation",
            message: "Les deux mots de passe ne sont pas identiques : retapez-le.".into(),
        });
    }
    Ok(())
}

/// Sets the password through an invitation, which then stops working (single use, even when
/// two tries race).
pub(crate) async fn accept(
    state: &AppState,
    raw: &str,
    password: &str,
    confirmation: &str,
) -> Result<staff_member::Model, AccountError> {
    let now = state.clock.now();
    // Checked before the password, so an expired link says so at once.
    invited_member(state, raw).await?;
    check_password(password, confirmation)?;
    let hash = password::hash(password)?;
    let txn = db::begin_write(&state.db).await?;
    let (invitation, member) = usable_invitation(&txn, raw, now).await?;
    let taken = staff_invitation::Entity::update_many()
        .col_expr(staff_invitation::Column::UsedAt, Expr::value(now))
        .filter(staff_invitation::Column::Id.eq(invitation.id))
        .filter(staff_invitation::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if taken.rows_affected != 1 {
        return Err(AccountError::InvitationInvalid);
    }
    revoke_invitations(&txn, member.id, now).await?;
    let mut a: staff_member::ActiveModel = member.into();
    a.password_hash = Set(hash);
    a.failed_logins = Set(0);
    let updated = a.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_account_reports_every_problem_at_once() {
        let errors = NewAccount::parse("pas-une-adresse", " ", Role::Coordinator).unwrap_err();
        let fields: Vec<_> = errors
            .iter()
            .map(|e| match e.refusal() {
                Refusal::Invalid { field } => field,
                _ => "",
            })
            .collect();
        assert_eq!(fields, ["email", "name"]);
        assert!(NewAccount::parse("camille@arles.example", "Camille Roux", Role::Admin).is_ok());
    }

    #[test]
    fn a_password_is_long_enough_and_typed_twice_alike() {
        assert!(check_password("court", "court").is_err());
        assert!(matches!(
            check_password("assez-long-1", "assez-long-2"),
            Err(AccountError::Invalid {
                field: "confirmation",
                ..
            })
        ));
        assert!(check_password("assez-long-1", "assez-long-1").is_ok());
    }
}
