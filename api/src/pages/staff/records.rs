//! `/staff/comptes-rendus`: activity records to complete (pre-filled drafts) and those done;
//! one page per record, completed in a minute with the keyboard alone (native radio buttons
//! and check-boxes in fieldsets, no script); and the themes of each reason and workshop.
use std::collections::HashMap;

use chrono::Datelike;
use entities::{
    activity_record::{
        self, Autonomie, Genre, Materiel, Niveau, RecordKind, RecordStatus, StatutSocial, Structure, Theme, TrancheAge,
        TypeLieu,
    },
    place,
    theme_mapping::MappedKind,
};
use minijinja::{Value, context};
use poem::{
    handler,
    http::StatusCode,
    web::{Path, Query},
};
use sea_orm::{ConnectionTrait, DbErr};
use serde::Serialize;

use super::notice::Done;
use crate::{
    appointments::queries::organisation_tz,
    exports::pages::{PeriodQuery, period_form},
    french,
    pages::{
        PageError, PageResult,
        forms::{FormData, FormErrors},
        see_other,
        session_cookie::StaffCtx,
    },
    records::{
        codes::{Coded, parse_set},
        communes,
        completion::RecordInput,
        drafts::mapped_themes,
        queries::{self as record_queries, Subject},
        service::{self, RecordError, RecordFilter},
    },
};

/// One choice of a radio or check-box group.
#[derive(Serialize)]
struct Choice {
    value: String,
    label: &'static str,
    checked: bool,
}

fn choices<T: Coded>(selected: &[String]) -> Vec<Choice> {
    T::iter()
        .map(|v| Choice {
            checked: selected.contains(&v.code()),
            value: v.code(),
            label: v.label(),
        })
        .collect()
}

fn one(v: Option<impl Coded>) -> Vec<String> {
    v.map(|v| vec![v.code()]).unwrap_or_default()
}

/// The values a form shows: each field's submitted (or stored) values.
type Shown = HashMap<&'static str, Vec<String>>;

fn shown_from_record(r: &activity_record::Model) -> Shown {
    let text = |v: &Option<String>| v.iter().cloned().collect::<Vec<_>>();
    let split = |v: &str| {
        v.split(',')
            .filter(|c| !c.is_empty())
            .map(String::from)
            .collect::<Vec<_>>()
    };
    HashMap::from([
        ("duration_minutes", vec![r.duration_minutes.to_string()]),
        ("themes", split(&r.themes)),
        ("materiel", split(&r.materiel)),
        ("type_lieu", one(r.type_lieu)),
        ("autonomie", one(r.autonomie)),
        (
            "oriente",
            if r.oriente == Some(true) {
                vec!["oui".into()]
            } else {
                vec![]
            },
        ),
        ("structure", one(r.structure)),
        ("precisions", text(&r.precisions)),
        ("titre_atelier", text(&r.titre_atelier)),
        ("niveau", one(r.niveau)),
        ("participants", vec![r.participants.to_string()]),
        ("notes", text(&r.notes)),
        ("genre", one(r.genre)),
        ("tranche_age", one(r.tranche_age)),
        ("statut_social", one(r.statut_social)),
        // One field names the commune: "Arles (13280)", as its list offers it.
        (
            "commune",
            match (&r.commune, &r.commune_postal_code) {
                (Some(name), Some(code)) => vec![format!("{name} ({code})")],
                (name, _) => text(name),
            },
        ),
        (
            "first_time",
            match r.first_time {
                Some(true) => vec!["oui".into()],
                Some(false) => vec!["non".into()],
                None => vec![],
            },
        ),
    ])
}

const FIELDS: [&str; 17] = [
    "duration_minutes",
    "themes",
    "materiel",
    "type_lieu",
    "autonomie",
    "oriente",
    "structure",
    "precisions",
    "titre_atelier",
    "niveau",
    "participants",
    "notes",
    "genre",
    "tranche_age",
    "statut_social",
    "commune",
    "first_time",
];

fn shown_from_form(form: &FormData) -> Shown {
    FIELDS
        .iter()
        .map(|f| (*f, form.all(f).map(String::from).collect()))
        .collect()
}

/// Reads the form into what the service checks; numbers that are not numbers are said here.
fn input_from_form(kind: RecordKind, form: &FormData, errors: &mut FormErrors) -> RecordInput {
    let number = |field: &str, errors: &mut FormErrors, message: &str| -> Option<i32> {
        let raw = form.opt(field)?;
        raw.parse().map_err(|_| errors.add(field, message)).ok()
    };
    let duration = number(
        "duration_minutes",
        errors,
        "Indiquez la durée en minutes, en chiffres (exemple : 45).",
    );
    if form.opt("duration_minutes").is_none() {
        errors.add("duration_minutes", "Indiquez la durée en minutes (exemple : 45).");
    }
    let participants = match kind {
        RecordKind::Collectif => number(
            "participants",
            errors,
            "Indiquez le nombre de participants, en chiffres.",
        ),
        RecordKind::Individuel => None,
    };
    let opt = |f: &str| form.opt(f).map(String::from);
    RecordInput {
        duration_minutes: duration.unwrap_or(0),
        themes: form.all("themes").map(String::from).collect(),
        materiel: form.all("materiel").map(String::from).collect(),
        type_lieu: opt("type_lieu"),
        autonomie: opt("autonomie"),
        oriente: form.checked("oriente"),
        structure: opt("structure"),
        precisions: opt("precisions"),
        titre_atelier: opt("titre_atelier"),
        niveau: opt("niveau"),
        participants,
        notes: opt("notes"),
        genre: opt("genre"),
        tranche_age: opt("tranche_age"),
        statut_social: opt("statut_social"),
        commune: opt("commune"),
        commune_postal_code: opt("commune_postal_code"),
        first_time: match form.opt("first_time") {
            Some("oui") => Some(true),
            Some("non") => Some(false),
            _ => None,
        },
    }
}

/// What a record is about, in words: the reason and time of an appointment, the workshop of
/// a session; and the page it comes from.
struct About {
    what: String,
    link: String,
}

async fn about<C: ConnectionTrait>(db: &C, r: &activity_record::Model) -> Result<About, DbErr> {
    let tz = organisation_tz(db, r.organisation_id).await?;
    Ok(match record_queries::subject(db, r).await? {
        Subject::Appointment(a, label) => About {
            what: format!(
                "Rendez-vous « {label} » à {}",
                french::time(&a.starts_at.with_timezone(&tz))
            ),
            link: format!("/staff/lieux/{}?jour={}#rdv-{}", a.place_id, r.date, a.id),
        },
        Subject::Session(s, title) => About {
            what: format!(
                "Atelier « {title} » à {}",
                french::time(&s.starts_at.with_timezone(&tz))
            ),
            link: format!("/staff/seances/{}", s.id),
        },
        Subject::Unknown => About {
            what: String::new(),
            link: String::new(),
        },
    })
}

#[derive(Serialize)]
struct Listed {
    id: i32,
    date: String,
    place: String,
    kind: &'static str,
    what: String,
    status: &'static str,
}

fn status_label(s: RecordStatus) -> &'static str {
    match s {
        RecordStatus::Draft => "À compléter",
        RecordStatus::Completed => "Enregistré",
        RecordStatus::Declined => "Non enregistré",
    }
}

async fn place_names(ctx: &StaffCtx) -> Result<HashMap<i32, String>, DbErr> {
    crate::places::queries::names(&ctx.state().db, ctx.me.organisation_id).await
}

#[handler]
pub(crate) async fn list(ctx: StaffCtx, Query(done): Query<Done>) -> PageResult {
    let notice = match done.fait.as_deref() {
        Some("enregistre") => Some("Compte rendu enregistré."),
        Some("ecarte") => Some("Ce compte rendu ne sera pas enregistré."),
        _ => None,
    };
    let state = ctx.state();
    let today = state.clock.now().with_timezone(&state.settings.timezone).date_naive();
    let export = period_form(&PeriodQuery::this_month(today), &FormErrors::default());
    list_page(&ctx, notice, export, StatusCode::OK).await
}

/// The list, with the export form as given (`export`: its values and errors).
pub(crate) async fn list_page(
    ctx: &StaffCtx,
    notice: Option<&'static str>,
    export: Value,
    status: StatusCode,
) -> PageResult {
    let db = &ctx.state().db;
    let year = ctx.state().clock.now().year();
    let places = place_names(ctx).await?;
    let rows = service::list(db, ctx.me.organisation_id, &RecordFilter::default()).await?;
    let mut drafts = Vec::new();
    let mut done_rows = Vec::new();
    for r in rows {
        let listed = Listed {
            id: r.id,
            date: french::date(r.date, year),
            place: places.get(&r.place_id).cloned().unwrap_or_default(),
            kind: r.kind.label(),
            what: about(db, &r).await?.what,
            status: status_label(r.status),
        };
        if r.status == RecordStatus::Draft {
            drafts.push(listed);
        } else if done_rows.len() < 200 {
            done_rows.push(listed);
        }
    }
    let mut place_list: Vec<(i32, String)> = places.into_iter().collect();
    place_list.sort_by(|a, b| a.1.cmp(&b.1));
    let places: Vec<Value> = place_list.into_iter().map(|(id, name)| context! { id, name }).collect();
    ctx.render_status(
        status,
        "staff/records.html",
        context! { nav => "comptes-rendus", drafts, done => done_rows, notice, export, places },
    )
}

fn record_id(raw: &str) -> Result<i32, PageError> {
    raw.parse()
        .map_err(|_| PageError::NotFound("Ce compte rendu n'existe pas.".into()))
}

async fn record_page(
    ctx: &StaffCtx,
    r: &activity_record::Model,
    status: StatusCode,
    shown: Shown,
    errors: FormErrors,
) -> PageResult {
    let db = &ctx.state().db;
    let year = ctx.state().clock.now().year();
    let about = about(db, r).await?;
    let place = find_place(ctx, r.place_id).await?;
    let get = |f: &str| shown.get(f).cloned().unwrap_or_default();
    let first = |f: &str| get(f).into_iter().next().unwrap_or_default();
    let groups = context! {
        themes_digital => choices::<Theme>(&get("themes")).into_iter().take(19).collect::<Vec<_>>(),
        themes_admin => choices::<Theme>(&get("themes")).into_iter().skip(19).collect::<Vec<_>>(),
        materiel => choices::<Materiel>(&get("materiel")),
        type_lieu => choices::<TypeLieu>(&get("type_lieu")),
        autonomie => choices::<Autonomie>(&get("autonomie")),
        structure => choices::<Structure>(&get("structure")),
        niveau => choices::<Niveau>(&get("niveau")),
        genre => choices::<Genre>(&get("genre")),
        tranche_age => choices::<TrancheAge>(&get("tranche_age")),
        statut_social => choices::<StatutSocial>(&get("statut_social")),
    };
    let values = context! {
        duration_minutes => first("duration_minutes"),
        oriente => !get("oriente").is_empty(),
        precisions => first("precisions"),
        titre_atelier => first("titre_atelier"),
        participants => first("participants"),
        notes => first("notes"),
        commune => first("commune"),
        first_time => first("first_time"),
    };
    // Every commune of the table under each of its postal codes, so that typing "13280"
    // offers "Arles (13280)": Raphèle is in Arles.
    let communes: Vec<String> = communes::residences().map(|r| r.label()).collect();
    ctx.render_status(
        status,
        "staff/record.html",
        context! {
            nav => "comptes-rendus",
            record => context! {
                id => r.id,
                individual => r.kind == RecordKind::Individuel,
                kind => r.kind.label(),
                date => french::date(r.date, year),
                place => place.name,
                status => status_label(r.status),
                draft => r.status == RecordStatus::Draft,
                completed => r.status == RecordStatus::Completed,
                what => about.what,
                link => about.link,
            },
            groups,
            values,
            communes,
            errors,
        },
    )
}

async fn find_place(ctx: &StaffCtx, id: i32) -> Result<place::Model, PageError> {
    crate::platform::org_scope::find_in_org::<place::Entity, _>(&ctx.state().db, ctx.me.organisation_id, id)
        .await?
        .ok_or_else(|| PageError::NotFound("Ce lieu n'existe pas.".into()))
}

#[handler]
pub(crate) async fn show(ctx: StaffCtx, Path(id): Path<String>) -> PageResult {
    let r = service::find(&ctx.state().db, &ctx.me, record_id(&id)?).await?;
    let shown = shown_from_record(&r);
    record_page(&ctx, &r, StatusCode::OK, shown, FormErrors::default()).await
}

#[handler]
pub(crate) async fn save(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    let r = service::find(&ctx.state().db, &ctx.me, record_id(&id)?).await?;
    let mut errors = FormErrors::default();
    let input = input_from_form(r.kind, &form, &mut errors);
    let outcome = if errors.is_empty() {
        service::complete(ctx.state(), &ctx.me, r.id, &input).await
    } else {
        Err(RecordError::Invalid(Vec::new()))
    };
    match outcome {
        Ok(_) => Ok(see_other("/staff/comptes-rendus?fait=enregistre")),
        Err(RecordError::Invalid(problems)) => {
            for p in problems {
                errors.add(p.field, p.message);
            }
            record_page(
                &ctx,
                &r,
                StatusCode::UNPROCESSABLE_ENTITY,
                shown_from_form(&form),
                errors,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

#[handler]
pub(crate) async fn decline(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    service::decline(ctx.state(), &ctx.me, record_id(&id)?).await?;
    Ok(see_other("/staff/comptes-rendus?fait=ecarte"))
}

// The session page (`sessions/show.rs`) reads a session's record through this path.
pub(crate) use crate::records::queries::of_session;

#[derive(Serialize)]
struct Mapped {
    kind: &'static str,
    id: i32,
    name: String,
    themes: String,
}

fn kind_segment(kind: MappedKind) -> &'static str {
    match kind {
        MappedKind::Motif => "motif",
        MappedKind::Workshop => "atelier",
    }
}

fn kind_of(segment: &str) -> Result<MappedKind, PageError> {
    match segment {
        "motif" => Ok(MappedKind::Motif),
        "atelier" => Ok(MappedKind::Workshop),
        _ => Err(PageError::NotFound("Adresse introuvable.".into())),
    }
}

async fn labelled_themes<C: ConnectionTrait>(db: &C, kind: MappedKind, id: i32) -> Result<String, DbErr> {
    let themes = mapped_themes(db, kind, id).await?;
    Ok(if themes.is_empty() {
        "aucune thématique".into()
    } else {
        themes.iter().map(|t| t.label()).collect::<Vec<_>>().join(", ")
    })
}

#[handler]
pub(crate) async fn themes_list(ctx: StaffCtx, Query(done): Query<Done>) -> PageResult {
    ctx.require_manager()?;
    let db = &ctx.state().db;
    let org = ctx.me.organisation_id;
    let mut motifs = Vec::new();
    for m in crate::appointments::queries::organisation_motifs(db, org).await? {
        motifs.push(Mapped {
            kind: kind_segment(MappedKind::Motif),
            themes: labelled_themes(db, MappedKind::Motif, m.id).await?,
            id: m.id,
            name: m.label,
        });
    }
    let mut workshops = Vec::new();
    for w in crate::workshops::queries::catalogue(db, Some(org)).await? {
        workshops.push(Mapped {
            kind: kind_segment(MappedKind::Workshop),
            themes: labelled_themes(db, MappedKind::Workshop, w.id).await?,
            id: w.id,
            name: w.title,
        });
    }
    ctx.render(
        "staff/record_themes.html",
        context! {
            nav => "comptes-rendus",
            motifs,
            workshops,
            notice => (done.fait.as_deref() == Some("thematiques")).then_some("Thématiques enregistrées."),
        },
    )
}

async fn themes_page(
    ctx: &StaffCtx,
    kind: MappedKind,
    id: i32,
    selected: &[String],
    status: StatusCode,
    errors: FormErrors,
) -> PageResult {
    let name = service::check_target(&ctx.state().db, &ctx.me, kind, id).await?;
    let all = choices::<Theme>(selected);
    let (digital, admin): (Vec<_>, Vec<_>) = all.into_iter().enumerate().partition(|(i, _)| *i < 19);
    let strip = |v: Vec<(usize, Choice)>| v.into_iter().map(|(_, c)| c).collect::<Vec<_>>();
    ctx.render_status(
        status,
        "staff/record_theme_form.html",
        context! {
            nav => "comptes-rendus",
            kind => kind_segment(kind),
            of_motif => kind == MappedKind::Motif,
            id,
            name,
            themes_digital => strip(digital),
            themes_admin => strip(admin),
            errors,
        },
    )
}

fn target_id(raw: &str) -> Result<i32, PageError> {
    raw.parse()
        .map_err(|_| PageError::NotFound("Adresse introuvable.".into()))
}

#[handler]
pub(crate) async fn themes_form(ctx: StaffCtx, Path((kind, id)): Path<(String, String)>) -> PageResult {
    ctx.require_manager()?;
    let (kind, id) = (kind_of(&kind)?, target_id(&id)?);
    let current = mapped_themes(&ctx.state().db, kind, id).await?;
    let selected: Vec<String> = current.iter().map(|t| t.code()).collect();
    themes_page(&ctx, kind, id, &selected, StatusCode::OK, FormErrors::default()).await
}

#[handler]
pub(crate) async fn themes_save(ctx: StaffCtx, Path((kind, id)): Path<(String, String)>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let (kind, id) = (kind_of(&kind)?, target_id(&id)?);
    let codes: Vec<String> = form.all("themes").map(String::from).collect();
    match parse_set::<Theme, _>(&codes) {
        Ok(themes) => {
            service::set_themes(ctx.state(), &ctx.me, kind, id, &themes).await?;
            Ok(see_other("/staff/comptes-rendus/thematiques?fait=thematiques"))
        }
        Err(code) => {
            let mut errors = FormErrors::default();
            errors.add("themes", format!("Thématique inconnue : « {code} »."));
            themes_page(&ctx, kind, id, &codes, StatusCode::UNPROCESSABLE_ENTITY, errors).await
        }
    }
}
