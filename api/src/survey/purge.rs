//! Invitations past their 14 days are purged by the daily retention step, answered or not:
//! the invitation row goes (its token's hash is kept, marked unanswered, so the link still
//! says it is closed), and the outbox rows that carried the link lose the person's name,
//! address, number and links. The outbox rows themselves stay, so that a correction of the
//! attendance never offers the same booking a second survey. Refusals (`survey_contact`) are
//! not touched: they must be honoured for as long as the person is contacted.
use chrono::{DateTime, Days, Utc};
use entities::kinds::Event;
use entities::{outbox, survey_invitation, survey_used_token};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect, Set,
    sea_query::OnConflict,
};

use crate::platform::db::begin_write;
use crate::retention::{ERASED_NAME, scrub_outbox_rows};

/// Invitations purged per transaction.
const BATCH: u64 = 500;

/// Purges what expired at `now`; answers how many invitation rows went.
pub(crate) async fn expired(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<usize, DbErr> {
    let mut purged = 0;
    loop {
        let txn = begin_write(db).await?;
        let batch: Vec<(String, String)> = survey_invitation::Entity::find()
            .select_only()
            .column(survey_invitation::Column::Id)
            .column(survey_invitation::Column::TokenHash)
            .filter(survey_invitation::Column::ExpiresAt.lte(now))
            .limit(BATCH)
            .into_tuple()
            .all(&txn)
            .await?;
        if batch.is_empty() {
            txn.commit().await?;
            break;
        }
        survey_used_token::Entity::insert_many(batch.iter().map(|(_, hash)| survey_used_token::ActiveModel {
            token_hash: Set(hash.clone()),
            answered: Set(false),
        }))
        .on_conflict(
            OnConflict::column(survey_used_token::Column::TokenHash)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        survey_invitation::Entity::delete_many()
            .filter(survey_invitation::Column::Id.is_in(batch.iter().map(|(id, _)| id.clone())))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        purged += batch.len();
    }
    // An invitation's rows stop being sendable the day before its link closes (`invite`).
    let closed_by = now.checked_sub_days(Days::new(1)).unwrap_or(now);
    scrub_outbox_rows(
        db,
        Condition::all()
            .add(outbox::Column::Kind.eq(Event::SurveyInvitation))
            .add(outbox::Column::ExpiresAt.lte(closed_by))
            .add(
                Condition::any()
                    .add(outbox::Column::RecipientName.ne(ERASED_NAME))
                    .add(outbox::Column::RecipientEmail.is_not_null())
                    .add(outbox::Column::RecipientPhone.is_not_null()),
            ),
    )
    .await?;
    Ok(purged)
}
