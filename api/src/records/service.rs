//! Reading, completing and declining records, always within the caller's organisation; and
//! the themes staff give reasons and workshops.
use chrono::NaiveDate;
use entities::{
    activity_record::{self, RecordKind, RecordStatus, Theme},
    kinds::Role,
    motif, session,
    theme_mapping::{self, MappedKind},
    workshop,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::{
    codes::join_set,
    completion::{Completion, FieldProblem, RecordInput},
};
use crate::{
    auth::StaffIdentity,
    domain::refusal::{DomainError, Refusal},
    platform::{
        db,
        org_scope::{InOrganisation, find_in_org},
        state::AppState,
    },
};

#[derive(Debug, thiserror::Error)]
pub(crate) enum RecordError {
    #[error("Ce compte rendu n'existe pas.")]
    NotFound,
    #[error("Ce motif n'existe pas.")]
    MotifNotFound,
    #[error("Cet atelier n'existe pas.")]
    WorkshopNotFound,
    #[error("Votre rôle ne permet pas cette action : ce compte rendu concerne la séance d'un autre animateur.")]
    NotYours,
    #[error("Ce compte rendu est déjà enregistré : il ne peut plus être écarté.")]
    AlreadyCompleted,
    #[error("{}", .0.first().map_or("", |p| p.message.as_str()))]
    Invalid(Vec<FieldProblem>),
    #[error("database")]
    Db(#[from] DbErr),
}

impl DomainError for RecordError {
    fn refusal(&self) -> Refusal {
        match self {
            RecordError::NotFound | RecordError::MotifNotFound | RecordError::WorkshopNotFound => Refusal::NotFound,
            RecordError::NotYours => Refusal::Forbidden,
            RecordError::AlreadyCompleted => Refusal::Conflict,
            RecordError::Invalid(problems) => Refusal::Invalid {
                field: problems.first().map_or("", |p| p.field),
            },
            RecordError::Db(_) => Refusal::Unexpected,
        }
    }
    fn code(&self) -> &'static str {
        match self {
            RecordError::NotFound | RecordError::MotifNotFound | RecordError::WorkshopNotFound => "not_found",
            RecordError::NotYours => "forbidden",
            RecordError::AlreadyCompleted => "already_completed",
            RecordError::Invalid(_) => "validation",
            RecordError::Db(_) => "internal",
        }
    }
}

impl InOrganisation for activity_record::Entity {
    fn in_organisation(select: sea_orm::Select<Self>, organisation_id: i32) -> sea_orm::Select<Self> {
        select.filter(activity_record::Column::OrganisationId.eq(organisation_id))
    }
}

/// The record `id` of the caller's organisation.
pub(crate) async fn find<C: ConnectionTrait>(
    db: &C,
    me: &StaffIdentity,
    id: i32,
) -> Result<activity_record::Model, RecordError> {
    find_in_org::<activity_record::Entity, _>(db, me.organisation_id, id)
        .await?
        .ok_or(RecordError::NotFound)
}

/// Which records to list.
#[derive(Debug, Clone, Default)]
pub(crate) struct RecordFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub status: Option<RecordStatus>,
    pub place_id: Option<i32>,
}

/// The organisation's records, newest first.
pub(crate) async fn list<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
    f: &RecordFilter,
) -> Result<Vec<activity_record::Model>, DbErr> {
    let mut q = activity_record::Entity::find().filter(activity_record::Column::OrganisationId.eq(organisation_id));
    if let Some(from) = f.from {
        q = q.filter(activity_record::Column::Date.gte(from));
    }
    if let Some(to) = f.to {
        q = q.filter(activity_record::Column::Date.lte(to));
    }
    if let Some(s) = f.status {
        q = q.filter(activity_record::Column::Status.eq(s));
    }
    if let Some(p) = f.place_id {
        q = q.filter(activity_record::Column::PlaceId.eq(p));
    }
    q.order_by_desc(activity_record::Column::Date)
        .order_by_desc(activity_record::Column::Id)
        .limit(1000)
        .all(db)
        .await
}

/// Facilitators complete the records of the sessions they facilitate; coordinators and
/// admins any record of the organisation.
async fn check_may_write<C: ConnectionTrait>(
    db: &C,
    me: &StaffIdentity,
    r: &activity_record::Model,
) -> Result<(), RecordError> {
    if me.role != Role::Facilitator {
        return Ok(());
    }
    let mine = match r.session_id {
        Some(id) => session::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_some_and(|s| s.facilitator_id == Some(me.id)),
        None => false,
    };
    if mine { Ok(()) } else { Err(RecordError::NotYours) }
}

/// Completes (or corrects) a record with what the mediator sent; a declined record may be
/// completed after all. Nothing changes when anything is wrong.
pub(crate) async fn complete(
    state: &AppState,
    me: &StaffIdentity,
    id: i32,
    input: &RecordInput,
) -> Result<activity_record::Model, RecordError> {
    let txn = db::begin_write(&state.db).await?;
    let r = find(&txn, me, id).await?;
    check_may_write(&txn, me, &r).await?;
    let c = Completion::parse(r.kind, input).map_err(RecordError::Invalid)?;
    let now = state.clock.now();
    let participants = match r.kind {
        RecordKind::Individuel => 1,
        RecordKind::Collectif => c.participants.unwrap_or(r.participants),
    };
    let mut a: activity_record::ActiveModel = r.into();
    a.duration_minutes = Set(c.duration_minutes);
    a.themes = Set(join_set(&c.themes));
    a.materiel = Set(join_set(&c.materiel));
    a.type_lieu = Set(c.type_lieu);
    a.autonomie = Set(c.autonomie);
    a.oriente = Set(c.oriente);
    a.structure = Set(c.structure);
    a.precisions = Set(c.precisions);
    a.titre_atelier = Set(c.titre_atelier);
    a.niveau = Set(c.niveau);
    a.participants = Set(participants);
    a.notes = Set(c.notes);
    a.genre = Set(c.genre);
    a.tranche_age = Set(c.tranche_age);
    a.statut_social = Set(c.statut_social);
    a.commune = Set(c.commune.as_ref().map(|r| r.name.to_string()));
    a.commune_postal_code = Set(c.commune.as_ref().map(|r| r.postal_code.to_string()));
    a.commune_insee = Set(c.commune.map(|r| r.insee.to_string()));
    a.first_time = Set(c.first_time);
    settle(txn, a, RecordStatus::Completed, me, now).await
}

/// Writes the mediator's decision (completed or declined), who made it and when, and commits.
async fn settle(
    txn: db::WriteTransaction,
    mut a: activity_record::ActiveModel,
    status: RecordStatus,
    me: &StaffIdentity,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<activity_record::Model, RecordError> {
    a.status = Set(status);
    a.completed_by_staff_id = Set(Some(me.id));
    a.completed_at = Set(Some(now));
    a.updated_at = Set(now);
    let saved = a.update(&txn).await?;
    txn.commit().await?;
    Ok(saved)
}

/// The mediator chooses not to record it. A completed record cannot be declined.
pub(crate) async fn decline(
    state: &AppState,
    me: &StaffIdentity,
    id: i32,
) -> Result<activity_record::Model, RecordError> {
    let txn = db::begin_write(&state.db).await?;
    let r = find(&txn, me, id).await?;
    check_may_write(&txn, me, &r).await?;
    if r.status == RecordStatus::Completed {
        return Err(RecordError::AlreadyCompleted);
    }
    settle(txn, r.into(), RecordStatus::Declined, me, state.clock.now()).await
}

/// Checks that the motif or workshop `id` belongs to the caller's organisation.
pub(crate) async fn check_target<C: ConnectionTrait>(
    db: &C,
    me: &StaffIdentity,
    kind: MappedKind,
    id: i32,
) -> Result<String, RecordError> {
    match kind {
        MappedKind::Motif => find_in_org::<motif::Entity, _>(db, me.organisation_id, id)
            .await?
            .map(|m| m.label)
            .ok_or(RecordError::MotifNotFound),
        MappedKind::Workshop => find_in_org::<workshop::Entity, _>(db, me.organisation_id, id)
            .await?
            .map(|w| w.title)
            .ok_or(RecordError::WorkshopNotFound),
    }
}

/// Sets the themes of a motif or a workshop of the caller's organisation (none: removes
/// them). Drafts made from then on are pre-filled with them.
pub(crate) async fn set_themes(
    state: &AppState,
    me: &StaffIdentity,
    kind: MappedKind,
    id: i32,
    themes: &[Theme],
) -> Result<(), RecordError> {
    let txn = db::begin_write(&state.db).await?;
    check_target(&txn, me, kind, id).await?;
    theme_mapping::Entity::delete_by_id((kind, id)).exec(&txn).await?;
    if !themes.is_empty() {
        theme_mapping::ActiveModel {
            target_kind: Set(kind),
            target_id: Set(id),
            organisation_id: Set(me.organisation_id),
            themes: Set(join_set(themes)),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(())
}
