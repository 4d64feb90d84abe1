//! Drafts: what Créneau already knows, written into a record when an appointment is marked
//! honoured or a session's attendance is taken — in the same transaction as that change.
//!
//! One record per appointment and per session (unique indexes): marking again, or taking
//! attendance again, updates the draft, never makes a second record. Only drafts follow
//! later changes: a record a mediator completed or declined is their word and stays as it
//! is. An appointment marked no-show or excused after being honoured loses its draft; a
//! session with nobody present any more loses its draft too.
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use entities::{
    activity_record::{self, Niveau, RecordKind, RecordStatus, Theme, TypeLieu},
    appointment,
    kinds::{AppointmentStatus, Attendance, RegistrationStatus},
    registration, session,
    theme_mapping::{self, MappedKind},
    workshop,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, Set};

use super::codes::{join_set, niveau_from_level, stored_set};
use crate::appointments::queries::organisation_tz;

/// The facts a draft is pre-filled with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Prefill {
    pub kind: RecordKind,
    pub organisation_id: i32,
    pub place_id: i32,
    pub date: NaiveDate,
    pub duration_minutes: i32,
    pub themes: Vec<Theme>,
    pub type_lieu: Option<TypeLieu>,
    pub titre_atelier: Option<String>,
    pub niveau: Option<Niveau>,
    pub participants: i32,
}

/// The day of an instant in the organisation's zone, and the minutes between two instants.
fn day_and_minutes(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>, tz: Tz) -> (NaiveDate, i32) {
    let minutes = (ends_at - starts_at).num_minutes().clamp(0, i32::MAX as i64) as i32;
    (starts_at.with_timezone(&tz).date_naive(), minutes)
}

/// An honoured appointment: one person, at the appointment's place, the reason's themes.
pub(crate) fn individual(a: &appointment::Model, motif_themes: Vec<Theme>, tz: Tz) -> Prefill {
    let (date, duration_minutes) = day_and_minutes(a.starts_at, a.ends_at, tz);
    Prefill {
        kind: RecordKind::Individuel,
        organisation_id: a.organisation_id,
        place_id: a.place_id,
        date,
        duration_minutes,
        themes: motif_themes,
        type_lieu: Some(TypeLieu::LieuActivite),
        titre_atelier: None,
        niveau: None,
        participants: 1,
    }
}

/// A session whose attendance was taken: the workshop's title, level and themes, the
/// number of people marked present.
pub(crate) fn collective(
    s: &session::Model,
    w: &workshop::Model,
    workshop_themes: Vec<Theme>,
    present: i32,
    tz: Tz,
) -> Prefill {
    let (date, duration_minutes) = day_and_minutes(s.starts_at, s.ends_at, tz);
    Prefill {
        kind: RecordKind::Collectif,
        organisation_id: s.organisation_id,
        place_id: s.place_id,
        date,
        duration_minutes,
        themes: workshop_themes,
        type_lieu: None,
        titre_atelier: Some(w.title.clone()),
        niveau: niveau_from_level(&w.level),
        participants: present,
    }
}

/// The themes staff gave a motif or a workshop (none when they gave none).
pub(crate) async fn mapped_themes<C: ConnectionTrait>(db: &C, kind: MappedKind, id: i32) -> Result<Vec<Theme>, DbErr> {
    match theme_mapping::Entity::find_by_id((kind, id)).one(db).await? {
        Some(m) => stored_set(&m.themes),
        None => Ok(Vec::new()),
    }
}

/// Which record a prefill is for.
#[derive(Debug, Clone, Copy)]
enum Source {
    Appointment(i32),
    Session(i32),
}

async fn existing<C: ConnectionTrait>(db: &C, source: Source) -> Result<Option<activity_record::Model>, DbErr> {
    let filter = match source {
        Source::Appointment(id) => activity_record::Column::AppointmentId.eq(id),
        Source::Session(id) => activity_record::Column::SessionId.eq(id),
    };
    activity_record::Entity::find().filter(filter).one(db).await
}

/// Writes the draft of `source`: a new one, or the existing draft refreshed. A completed or
/// declined record is left alone.
async fn write_draft<C: ConnectionTrait>(db: &C, source: Source, p: Prefill, now: DateTime<Utc>) -> Result<(), DbErr> {
    let mut a: activity_record::ActiveModel = match existing(db, source).await? {
        Some(r) if r.status != RecordStatus::Draft => return Ok(()),
        Some(r) => r.into(),
        None => {
            let (appointment_id, session_id) = match source {
                Source::Appointment(id) => (Some(id), None),
                Source::Session(id) => (None, Some(id)),
            };
            activity_record::ActiveModel {
                organisation_id: Set(p.organisation_id),
                kind: Set(p.kind),
                appointment_id: Set(appointment_id),
                session_id: Set(session_id),
                materiel: Set(String::new()),
                oriente: Set(None),
                status: Set(RecordStatus::Draft),
                created_at: Set(now),
                ..Default::default()
            }
        }
    };
    a.place_id = Set(p.place_id);
    a.date = Set(p.date);
    a.duration_minutes = Set(p.duration_minutes);
    a.themes = Set(join_set(&p.themes));
    a.type_lieu = Set(p.type_lieu);
    a.titre_atelier = Set(p.titre_atelier);
    a.niveau = Set(p.niveau);
    a.participants = Set(p.participants);
    a.updated_at = Set(now);
    a.save(db).await?;
    Ok(())
}

async fn drop_draft<C: ConnectionTrait>(db: &C, source: Source) -> Result<(), DbErr> {
    if let Some(r) = existing(db, source).await?
        && r.status == RecordStatus::Draft
    {
        activity_record::Entity::delete_by_id(r.id).exec(db).await?;
    }
    Ok(())
}

/// After an appointment's outcome was recorded (inside that transaction): honoured makes
/// or refreshes its draft; any other outcome takes a draft away.
pub(crate) async fn after_appointment_marked<C: ConnectionTrait>(
    db: &C,
    a: &appointment::Model,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let source = Source::Appointment(a.id);
    if a.status != AppointmentStatus::Honoured {
        return drop_draft(db, source).await;
    }
    let themes = mapped_themes(db, MappedKind::Motif, a.motif_id).await?;
    let tz = organisation_tz(db, a.organisation_id).await?;
    write_draft(db, source, individual(a, themes, tz), now).await
}

/// After a registration's attendance was recorded (inside that transaction): the session's
/// draft counts who is marked present now; with nobody present there is no draft.
pub(crate) async fn after_attendance<C: ConnectionTrait>(
    db: &C,
    s: &session::Model,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let source = Source::Session(s.id);
    let present = registration::Entity::find()
        .filter(registration::Column::SessionId.eq(s.id))
        .filter(registration::Column::Status.eq(RegistrationStatus::Confirmed))
        .filter(registration::Column::Attendance.eq(Attendance::Present))
        .count(db)
        .await? as i32;
    if present == 0 {
        return drop_draft(db, source).await;
    }
    let w = workshop::Entity::find_by_id(s.workshop_id)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the session's workshop".into()))?;
    let themes = mapped_themes(db, MappedKind::Workshop, w.id).await?;
    let tz = organisation_tz(db, s.organisation_id).await?;
    write_draft(db, source, collective(s, &w, themes, present, tz), now).await
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn an_evening_appointment_is_dated_in_the_organisations_zone() {
        let tz = chrono_tz::Europe::Paris;
        // 23:15 UTC on 31 December is 00:15 on 1 January in Paris.
        let starts = Utc.with_ymd_and_hms(2026, 12, 31, 23, 15, 0).unwrap();
        let (day, minutes) = day_and_minutes(starts, starts + chrono::Duration::minutes(45), tz);
        assert_eq!(day, NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(), "00:15 in Paris");
        assert_eq!(minutes, 45);
    }
}
