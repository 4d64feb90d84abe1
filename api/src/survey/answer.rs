//! Opening and answering an invitation, and refusing surveys. An answer is stored filed under
//! the invitation's organisation, place, subject and month; the invitation is deleted in the
//! same transaction and only its token's hash is kept, to tell a second use from a wrong link.
use chrono::{DateTime, Utc};
use entities::{survey_answer, survey_contact, survey_invitation, survey_used_token};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, Set,
    sea_query::Expr,
};

use super::form::Answers;
use crate::platform::{db, token};

#[derive(Debug, thiserror::Error)]
pub(crate) enum SurveyError {
    #[error(
        "Ce lien de questionnaire n'est pas valable. Vérifiez qu'il est complet : recopiez-le depuis votre e-mail ou votre SMS."
    )]
    UnknownLink,
    #[error("Vous avez déjà répondu à ce questionnaire : merci ! Votre avis est bien enregistré, rien n'a été changé.")]
    AlreadyAnswered,
    #[error(
        "Ce questionnaire n'est plus ouvert : le lien marchait pendant 14 jours. Merci quand même d'avoir voulu répondre."
    )]
    Expired,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// The open invitation of `token`, or why there is none.
pub(crate) async fn open(
    db: &impl sea_orm::ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<survey_invitation::Model, SurveyError> {
    if !token::looks_valid(token) {
        return Err(SurveyError::UnknownLink);
    }
    let hash = token::hash(token);
    let found = survey_invitation::Entity::find()
        .filter(survey_invitation::Column::TokenHash.eq(hash.clone()))
        .one(db)
        .await?;
    match found {
        Some(i) if i.expires_at <= now => Err(SurveyError::Expired),
        Some(i) => Ok(i),
        None => match survey_used_token::Entity::find_by_id(hash).one(db).await? {
            Some(used) if used.answered => Err(SurveyError::AlreadyAnswered),
            // Purged once past its 14 days (`survey::purge`).
            Some(_) => Err(SurveyError::Expired),
            None => Err(SurveyError::UnknownLink),
        },
    }
}

/// Stores the answers of `token`'s invitation, once.
pub(crate) async fn answer(
    conn: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
    answers: Answers,
) -> Result<(), SurveyError> {
    let txn = db::begin_write(conn).await?;
    let invitation = open(&txn, token, now).await?;
    // Of two submits at once, the one that deletes the invitation wins.
    let deleted = survey_invitation::Entity::delete_many()
        .filter(survey_invitation::Column::Id.eq(invitation.id.clone()))
        .exec(&txn)
        .await?
        .rows_affected;
    if deleted == 0 {
        return Err(SurveyError::AlreadyAnswered);
    }
    survey_used_token::ActiveModel {
        token_hash: Set(invitation.token_hash),
        answered: Set(true),
    }
    .insert(&txn)
    .await?;
    let help = (!answers.help_used.is_empty()).then(|| answers.help_used.join(","));
    survey_answer::ActiveModel {
        id: Set(token::generate()),
        smiley: Set(answers.smiley),
        clarity: Set(answers.clarity),
        help_used: Set(help),
        reached_administration: Set(answers.reached_administration),
        help_quality: Set(answers.help_quality),
        comment: Set(answers.comment),
        organisation_id: Set(invitation.organisation_id),
        place_id: Set(invitation.place_id),
        workshop_id: Set(invitation.workshop_id),
        motif_id: Set(invitation.motif_id),
        month: Set(invitation.month),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Whether `stop_token` is a "no more surveys" link.
pub(crate) async fn stop_link_exists(db: &DatabaseConnection, stop_token: &str) -> Result<bool, SurveyError> {
    if !token::looks_valid(stop_token) {
        return Ok(false);
    }
    Ok(survey_contact::Entity::find()
        .filter(survey_contact::Column::StopHash.eq(token::hash(stop_token)))
        .count(db)
        .await?
        > 0)
}

/// Records that the person of `stop_token` wants no more surveys (every contact of theirs
/// that the link covers). Saying it twice changes nothing.
pub(crate) async fn refuse(db: &DatabaseConnection, stop_token: &str, now: DateTime<Utc>) -> Result<(), SurveyError> {
    if !stop_link_exists(db, stop_token).await? {
        return Err(SurveyError::UnknownLink);
    }
    survey_contact::Entity::update_many()
        .col_expr(survey_contact::Column::RefusedAt, Expr::value(now))
        .filter(survey_contact::Column::StopHash.eq(token::hash(stop_token)))
        .filter(survey_contact::Column::RefusedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
