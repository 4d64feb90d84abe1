//! `creneau staff add`: the organisation a new account joins, found by its name or created.
use entities::organisation;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set};

use crate::platform::clock::Clock;

/// The organisation called `name`, created (with `contact` as its address and `timezone`)
/// when none has that name yet. Several towns may share one database: a new name is a new
/// organisation, never an existing one.
pub async fn organisation_named(
    db: &DatabaseConnection,
    clock: &Clock,
    name: &str,
    contact: &str,
    timezone: &str,
) -> Result<organisation::Model, DbErr> {
    let name = name.trim();
    if let Some(found) = organisation::Entity::find()
        .filter(organisation::Column::Name.eq(name))
        .one(db)
        .await?
    {
        return Ok(found);
    }
    organisation::ActiveModel {
        slug: Set(free_slug(db, &slug_of(name)).await?),
        name: Set(name.into()),
        timezone: Set(timezone.into()),
        contact_email: Set(contact.into()),
        contact_phone: Set(None),
        reminder_offsets: Set("2880,180".into()),
        max_future_appointments: Set(2),
        calendar_uid_part: Set(crate::notifications::enqueue::calendar_uid_part()),
        created_at: Set(clock.now()),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// "Ville d'Arles" → "ville-d-arles".
fn slug_of(name: &str) -> String {
    let slug: String = name
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c if c.is_ascii_alphanumeric() => c,
            _ => '-',
        })
        .collect();
    let slug = slug.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-");
    if slug.is_empty() { "commune".into() } else { slug }
}

/// `slug`, or `slug-2`, `slug-3`… when taken (two names may give one slug).
async fn free_slug(db: &DatabaseConnection, slug: &str) -> Result<String, DbErr> {
    let mut candidate = slug.to_string();
    for n in 2.. {
        let taken = organisation::Entity::find()
            .filter(organisation::Column::Slug.eq(&candidate))
            .one(db)
            .await?
            .is_some();
        if !taken {
            break;
        }
        candidate = format!("{slug}-{n}");
    }
    Ok(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_town_s_name_gives_a_plain_slug() {
        assert_eq!(slug_of("Ville d'Arles"), "ville-d-arles");
        assert_eq!(slug_of("  Saint-Rémy-de-Provence "), "saint-remy-de-provence");
        assert_eq!(slug_of("!!!"), "commune");
    }
}
