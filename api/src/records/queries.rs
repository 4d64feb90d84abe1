//! Reading what the console shows beside records: what each one is about, and which
//! appointments and sessions already have one.
use std::collections::HashMap;

use entities::{activity_record, appointment, motif, session, workshop};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

/// What a record is about, when its appointment or session still exists.
pub(crate) enum Subject {
    /// The appointment, and its reason's label (empty when the reason is gone).
    Appointment(Box<appointment::Model>, String),
    /// The session, and its workshop's title (empty when the workshop is gone).
    Session(session::Model, String),
    Unknown,
}

/// The appointment of the record if it has one, else its session.
pub(crate) async fn subject<C: ConnectionTrait>(db: &C, r: &activity_record::Model) -> Result<Subject, DbErr> {
    if let Some(id) = r.appointment_id
        && let Some(a) = appointment::Entity::find_by_id(id).one(db).await?
    {
        let label = motif::Entity::find_by_id(a.motif_id)
            .one(db)
            .await?
            .map_or_else(String::new, |m| m.label);
        return Ok(Subject::Appointment(Box::new(a), label));
    }
    if let Some(id) = r.session_id
        && let Some(s) = session::Entity::find_by_id(id).one(db).await?
    {
        let title = workshop::Entity::find_by_id(s.workshop_id)
            .one(db)
            .await?
            .map_or_else(String::new, |w| w.title);
        return Ok(Subject::Session(s, title));
    }
    Ok(Subject::Unknown)
}

/// The record of each of these appointments that has one: for the links of the day view.
pub(crate) async fn of_appointments<C: ConnectionTrait>(db: &C, ids: &[i32]) -> Result<HashMap<String, i32>, DbErr> {
    Ok(activity_record::Entity::find()
        .filter(activity_record::Column::AppointmentId.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|r| r.appointment_id.map(|a| (a.to_string(), r.id)))
        .collect())
}

/// The record of a session, if it has one: for the link of the session page.
pub(crate) async fn of_session<C: ConnectionTrait>(db: &C, session_id: i32) -> Result<Option<i32>, DbErr> {
    Ok(activity_record::Entity::find()
        .filter(activity_record::Column::SessionId.eq(session_id))
        .one(db)
        .await?
        .map(|r| r.id))
}
