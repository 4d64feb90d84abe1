//! Demo activity records: themes for every reason and workshop, the draft of the session
//! under way (its attendance taken as the console would), and a few records of last week
//! already completed, so `/staff/comptes-rendus` shows both lists.
use chrono::{DateTime, Duration, Utc};
use entities::{
    activity_record::{
        self, Autonomie, Genre, Materiel, Niveau, RecordKind, RecordStatus, Structure, Theme, TrancheAge, TypeLieu,
    },
    kinds::{Attendance, PlaceKind},
    motif, organisation, place, registration, session,
    theme_mapping::MappedKind,
    workshop,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::{
    platform::{db, state::AppState, time::parse_tz},
    records::{codes::join_set, drafts},
};

/// The themes a reason's label or a workshop's title suggest.
fn themes_for(name: &str) -> Vec<Theme> {
    use Theme::*;
    let n = name.to_lowercase();
    let mut t = if n.contains("caf") {
        vec![SocialSante, AideAuxDemarchesAdministratives]
    } else if n.contains("ants") {
        vec![PapiersElectionsCitoyennete, TransportsMobilite]
    } else if n.contains("impôts") {
        vec![ArgentImpots]
    } else if n.contains("france travail") {
        vec![TravailFormation, InsertionProfessionnelle]
    } else if n.contains("ameli") {
        vec![SocialSante, Sante]
    } else if n.contains("retraite") {
        vec![SocialSante]
    } else if n.contains("scanner") || n.contains("imprimer") {
        vec![GereSesContenusNumeriques, Bureautique]
    } else if n.contains("ordinateur") {
        vec![PrendreEnMainDuMateriel]
    } else if n.contains("compte citoyen") {
        vec![PapiersElectionsCitoyennete, Email]
    } else if n.contains("formulaire") {
        vec![NavigationSurInternet, AideAuxDemarchesAdministratives]
    } else {
        vec![AideAuxDemarchesAdministratives]
    };
    t.sort();
    t
}

pub(crate) async fn seed(state: &AppState, org: &organisation::Model, places: &[place::Model]) -> anyhow::Result<()> {
    let now = state.clock.now();
    for m in motif::Entity::find()
        .filter(motif::Column::OrganisationId.eq(org.id))
        .all(&state.db)
        .await?
    {
        set_themes(state, org.id, MappedKind::Motif, m.id, &themes_for(&m.label)).await?;
    }
    let workshops = workshop::Entity::find()
        .filter(workshop::Column::OrganisationId.eq(org.id))
        .all(&state.db)
        .await?;
    for w in &workshops {
        set_themes(state, org.id, MappedKind::Workshop, w.id, &themes_for(&w.title)).await?;
    }

    // The session under way: both registrants came; its draft waits for the facilitator.
    if let Some(s) = session::Entity::find()
        .filter(session::Column::OrganisationId.eq(org.id))
        .filter(session::Column::StartsAt.lte(now))
        .one(&state.db)
        .await?
    {
        let txn = db::begin_write(&state.db).await?;
        registration::Entity::update_many()
            .col_expr(registration::Column::Attendance, Attendance::Present.into())
            .filter(registration::Column::SessionId.eq(s.id))
            .exec(&txn)
            .await?;
        drafts::after_attendance(&txn, &s, now).await?;
        txn.commit().await?;
    }

    // Last week, already completed: two appointments at a mediation point, one workshop.
    let tz = parse_tz(&org.timezone);
    let week_ago = (now - Duration::days(7)).with_timezone(&tz).date_naive();
    let point = places.iter().find(|p| p.active && p.kind == PlaceKind::MediationPoint);
    let library = places.iter().find(|p| p.kind == PlaceKind::Library);
    let completed = |place_id: i32, kind: RecordKind, at: DateTime<Utc>| activity_record::ActiveModel {
        organisation_id: Set(org.id),
        place_id: Set(place_id),
        kind: Set(kind),
        date: Set(week_ago),
        status: Set(RecordStatus::Completed),
        completed_at: Set(Some(at)),
        created_at: Set(at),
        updated_at: Set(at),
        oriente: Set(None),
        participants: Set(1),
        ..Default::default()
    };
    let at = now - Duration::days(7);
    if let Some(p) = point {
        let mut a = completed(p.id, RecordKind::Individuel, at);
        a.duration_minutes = Set(30);
        a.themes = Set(join_set(&[Theme::SocialSante, Theme::AideAuxDemarchesAdministratives]));
        a.materiel = Set(join_set(&[Materiel::Ordinateur]));
        a.type_lieu = Set(Some(TypeLieu::LieuActivite));
        a.autonomie = Set(Some(Autonomie::PartiellementAutonome));
        a.oriente = Set(Some(false));
        a.precisions = Set(Some("Déclaration trimestrielle de ressources".into()));
        a.genre = Set(Some(Genre::Feminin));
        a.tranche_age = Set(Some(TrancheAge::SoixanteSoixanteNeuf));
        a.insert(&state.db).await?;
        let mut b = completed(p.id, RecordKind::Individuel, at);
        b.duration_minutes = Set(45);
        b.themes = Set(join_set(&[Theme::ArgentImpots]));
        b.materiel = Set(join_set(&[Materiel::Ordinateur, Materiel::Telephone]));
        b.type_lieu = Set(Some(TypeLieu::LieuActivite));
        b.autonomie = Set(Some(Autonomie::EntierementAccompagne));
        b.oriente = Set(Some(true));
        b.structure = Set(Some(Structure::Administration));
        b.insert(&state.db).await?;
    }
    if let (Some(l), Some(w)) = (library, workshops.first()) {
        let mut c = completed(l.id, RecordKind::Collectif, at);
        c.duration_minutes = Set(120);
        c.themes = Set(join_set(&themes_for(&w.title)));
        c.materiel = Set(join_set(&[Materiel::Ordinateur]));
        c.titre_atelier = Set(Some(w.title.clone()));
        c.niveau = Set(Some(Niveau::Debutant));
        c.participants = Set(6);
        c.insert(&state.db).await?;
    }
    Ok(())
}

async fn set_themes(state: &AppState, org: i32, kind: MappedKind, id: i32, themes: &[Theme]) -> anyhow::Result<()> {
    entities::theme_mapping::ActiveModel {
        target_kind: Set(kind),
        target_id: Set(id),
        organisation_id: Set(org),
        themes: Set(join_set(themes)),
    }
    .insert(&state.db)
    .await?;
    Ok(())
}
