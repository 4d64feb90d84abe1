//! The survey's pages: `/avis/{token}` (the questions, then thanks), `/avis/stop/{token}`
//! (no more surveys), and the console's `/staff/avis` (results by place and subject).
//! No e-mail field on the form, unlike the State's: an address would tie the answer to a
//! person, and the answers are promised to be anonymous.
use entities::{motif, place, survey_invitation, workshop};
use minijinja::context;
use poem::{handler, http::StatusCode, web::Path, web::Query};

use crate::pages::routes::{PageRoutes, get};
use serde::{Deserialize, Serialize};

use super::{
    answer::{self, SurveyError},
    form::{self, Raw},
    results::{self, GroupKind, THRESHOLD},
};
use crate::pages::{
    Ctx, PageError, PageResult,
    forms::{FormData, FormErrors},
    session_cookie::StaffCtx,
};
use crate::platform::org_scope::find_in_org;

pub(crate) fn routes() -> PageRoutes {
    PageRoutes::new()
        .at("/stop/:token", get(stop_form).post(stop))
        .at("/:token", get(show).post(submit))
}

/// The one mapping of the survey's refusals to pages: a wrong link is 404, a used or expired
/// one 410, each with its kind French sentence.
fn refused(e: SurveyError) -> PageError {
    match e {
        SurveyError::UnknownLink => PageError::NotFound(e.to_string()),
        SurveyError::AlreadyAnswered | SurveyError::Expired => PageError::Rule(StatusCode::GONE, e.to_string()),
        SurveyError::Db(e) => PageError::internal(e),
    }
}

/// What the survey is about, in the page's words.
#[derive(Serialize)]
struct About {
    /// "l'atelier" or "le rendez-vous".
    thing: &'static str,
    /// "pendant l'atelier", "pendant le rendez-vous".
    during: &'static str,
    title: String,
    place: String,
}

async fn about(ctx: &Ctx, i: &survey_invitation::Model) -> Result<About, PageError> {
    let db = &ctx.state.db;
    let org = i.organisation_id;
    let place = find_in_org::<place::Entity, _>(db, org, i.place_id)
        .await?
        .map(|p| p.name)
        .unwrap_or_default();
    Ok(match (i.workshop_id, i.motif_id) {
        (Some(w), _) => About {
            thing: "l'atelier",
            during: "pendant l'atelier",
            title: find_in_org::<workshop::Entity, _>(db, org, w)
                .await?
                .map(|w| w.title)
                .unwrap_or_default(),
            place,
        },
        (None, m) => About {
            thing: "le rendez-vous",
            during: "pendant le rendez-vous",
            title: match m {
                Some(m) => find_in_org::<motif::Entity, _>(db, org, m)
                    .await?
                    .map(|m| m.label)
                    .unwrap_or_default(),
                None => String::new(),
            },
            place,
        },
    })
}

/// The choices of the form, as the State's questionnaire words them.
fn choices() -> minijinja::Value {
    context! {
        smileys => [
            context! { value => "bad", label => "Mal", face => "☹" },
            context! { value => "average", label => "Moyennement", face => "😐" },
            context! { value => "good", label => "Bien", face => "🙂" },
        ],
        clarity => [
            context! { value => "1", label => "1 — pas clair du tout" },
            context! { value => "2", label => "2" },
            context! { value => "3", label => "3" },
            context! { value => "4", label => "4" },
            context! { value => "5", label => "5 — très clair" },
        ],
        help => [
            context! { value => "guichet", label => "Un guichet (accueil en personne)" },
            context! { value => "telephone", label => "Le téléphone" },
            context! { value => "email", label => "Un e-mail" },
            context! { value => "chat", label => "Une discussion en ligne (chat)" },
            context! { value => "proche", label => "Un proche" },
            context! { value => "association", label => "Une association" },
            context! { value => "sites", label => "Des sites internet" },
            context! { value => "autre", label => "Autre" },
            context! { value => "aucune", label => "Je n'ai pas eu besoin d'aide" },
        ],
        quality => [
            context! { value => "1", label => "Très mauvaise" },
            context! { value => "2", label => "Mauvaise" },
            context! { value => "3", label => "Ni bonne ni mauvaise" },
            context! { value => "4", label => "Bonne" },
            context! { value => "5", label => "Excellente" },
        ],
    }
}

async fn form_page(
    ctx: &Ctx,
    token: &str,
    i: &survey_invitation::Model,
    status: StatusCode,
    form: &FormData,
    errors: FormErrors,
) -> PageResult {
    let about = about(ctx, i).await?;
    let help: Vec<&str> = form.all("help").collect();
    ctx.render_status(
        status,
        "survey/form.html",
        context! {
            about, token, errors, help,
            values => form.values(),
            choices => choices(),
            comment_max => form::COMMENT_MAX,
        },
    )
}

#[handler]
async fn show(ctx: Ctx, Path(token): Path<String>) -> PageResult {
    let i = answer::open(&ctx.state.db, &token, ctx.now()).await.map_err(refused)?;
    form_page(
        &ctx,
        &token,
        &i,
        StatusCode::OK,
        &FormData::default(),
        FormErrors::default(),
    )
    .await
}

#[handler]
async fn submit(ctx: Ctx, Path(token): Path<String>, form: FormData) -> PageResult {
    if !ctx.csrf.accepts(&form) {
        return Err(PageError::Csrf);
    }
    let i = answer::open(&ctx.state.db, &token, ctx.now()).await.map_err(refused)?;
    let raw = Raw {
        smiley: form.opt("smiley"),
        clarity: form.opt("clarity"),
        help: form.all("help").collect(),
        reached: form.opt("reached"),
        quality: form.opt("quality"),
        comment: form.opt("comment"),
    };
    let answers = match form::parse(&raw) {
        Ok(a) => a,
        Err(problems) => {
            let mut errors = FormErrors::default();
            for (field, message) in problems {
                errors.add(field, message);
            }
            return form_page(&ctx, &token, &i, StatusCode::UNPROCESSABLE_ENTITY, &form, errors).await;
        }
    };
    let about = about(&ctx, &i).await?;
    answer::answer(&ctx.state.db, &token, ctx.now(), answers)
        .await
        .map_err(refused)?;
    ctx.render("survey/thanks.html", context! { about })
}

#[handler]
async fn stop_form(ctx: Ctx, Path(token): Path<String>) -> PageResult {
    if !answer::stop_link_exists(&ctx.state.db, &token).await.map_err(refused)? {
        return Err(refused(SurveyError::UnknownLink));
    }
    ctx.render("survey/stop.html", context! { token, done => false })
}

#[handler]
async fn stop(ctx: Ctx, Path(token): Path<String>, form: FormData) -> PageResult {
    if !ctx.csrf.accepts(&form) {
        return Err(PageError::Csrf);
    }
    answer::refuse(&ctx.state.db, &token, ctx.now())
        .await
        .map_err(refused)?;
    ctx.render("survey/stop.html", context! { token, done => true })
}

#[derive(Deserialize)]
pub(crate) struct Period {
    du: Option<String>,
    au: Option<String>,
}

#[derive(Serialize)]
struct GroupView {
    name: String,
    shown: bool,
    answers: u64,
    bad: u64,
    average: u64,
    good: u64,
    clarity: Option<String>,
    rate: Option<String>,
}

fn one_decimal(x: f64) -> String {
    format!("{x:.1}").replace('.', ",")
}

/// `/staff/avis`: results per place and per workshop or reason, for a period of months
/// (the last twelve by default); a group under five answers shows no figure.
#[handler]
pub(crate) async fn staff_results(ctx: StaffCtx, Query(period): Query<Period>) -> PageResult {
    let state = ctx.state();
    let now = state.clock.now();
    let tz = state.settings.timezone;
    let this_month = super::invite::month_of(tz, now);
    let year_ago = super::invite::month_of(tz, now - chrono::Duration::days(334));
    let mut errors = FormErrors::default();
    let mut read =
        |field: &str, value: &Option<String>, default: &str| match value.as_deref().filter(|v| !v.trim().is_empty()) {
            None => default.to_string(),
            Some(v) => results::parse_month(v).unwrap_or_else(|| {
                errors.add(
                    field,
                    "Mois invalide : choisissez un mois dans la liste ou écrivez-le AAAA-MM.",
                );
                default.to_string()
            }),
        };
    let from = read("du", &period.du, &year_ago);
    let to = read("au", &period.au, &this_month);
    let groups = if errors.is_empty() {
        results::groups(&state.db, ctx.me.organisation_id, &from, &to).await?
    } else {
        Vec::new()
    };
    let view = |kind: GroupKind| -> Vec<GroupView> {
        groups
            .iter()
            .filter(|g| g.kind == kind)
            .map(|g| match &g.results {
                Some(r) => GroupView {
                    name: g.name.clone(),
                    shown: true,
                    answers: r.answers,
                    bad: r.bad,
                    average: r.average,
                    good: r.good,
                    clarity: r.mean_clarity.map(one_decimal),
                    rate: r.response_rate.map(|x| format!("{} %", (x * 100.0).round())),
                },
                None => GroupView {
                    name: g.name.clone(),
                    shown: false,
                    answers: 0,
                    bad: 0,
                    average: 0,
                    good: 0,
                    clarity: None,
                    rate: None,
                },
            })
            .collect()
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    ctx.render_status(
        status,
        "staff/survey.html",
        context! {
            nav => "avis",
            from, to, errors,
            threshold => THRESHOLD,
            places => view(GroupKind::Place),
            workshops => view(GroupKind::Workshop),
            motifs => view(GroupKind::Motif),
        },
    )
}
