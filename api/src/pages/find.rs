//! `/retrouver` and `/r/{code}`: a booking found again from its code and the phone or e-mail
//! it was made with. Both must match; a wrong pair answers exactly as an unknown code does,
//! and tries are limited per client address and per code, so the form cannot be used to
//! learn which codes exist. The code alone opens nothing.
use std::sync::Arc;

use minijinja::context;
use poem::{Request, handler, http::StatusCode, web::Data, web::Path};

use super::routes::{PageRoutes, get};

use super::{
    Ctx, PageError, PageResult,
    forms::{FormData, FormErrors},
    see_other,
};
use crate::{
    bookings::{self, FindAgainLimits, Proof},
    domain::booking_code::BookingCode,
    http::limits::client_key,
    notifications::payload::BookingKind,
};

pub(crate) fn find_routes() -> PageRoutes {
    PageRoutes::new().at("/", get(show_form).post(find))
}

pub(crate) fn short_routes() -> PageRoutes {
    PageRoutes::new().at("/:code", get(short_form).post(short_find))
}

const NOT_FOUND: &str = "Aucune réservation ne correspond à ce code et à ces coordonnées. Vérifiez le code et \
     le numéro de téléphone ou l'adresse e-mail donnés en réservant.";
const TOO_MANY: &str = "Trop d'essais. Attendez une heure avant de réessayer, ou appelez-nous : un agent peut \
     retrouver votre réservation.";

/// The page, for the full form (`code` is `None`) or the short one of an SMS link.
fn page(
    ctx: &Ctx,
    status: StatusCode,
    code: Option<&BookingCode>,
    values: &FormData,
    errors: FormErrors,
) -> PageResult {
    ctx.render_status(
        status,
        "find.html",
        context! {
            short => code.is_some(),
            code => code.map(BookingCode::as_str),
            code_display => code.map(ToString::to_string),
            values => values.values(),
            errors,
        },
    )
}

#[handler]
async fn show_form(ctx: Ctx) -> PageResult {
    page(&ctx, StatusCode::OK, None, &FormData::default(), FormErrors::default())
}

#[handler]
async fn short_form(ctx: Ctx, Path(code): Path<String>) -> PageResult {
    match BookingCode::parse(&code) {
        Some(code) => page(
            &ctx,
            StatusCode::OK,
            Some(&code),
            &FormData::default(),
            FormErrors::default(),
        ),
        // A mistyped link: the full form, with the code to check.
        None => {
            let values = FormData::parse(format!("code={}", urlencode(&code)).as_bytes());
            let mut errors = FormErrors::default();
            errors.add("code", invalid_code());
            page(&ctx, StatusCode::NOT_FOUND, None, &values, errors)
        }
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn invalid_code() -> String {
    "Le code de réservation a 6 lettres et chiffres, par exemple K7P-4QX.".into()
}

#[handler]
async fn find(ctx: Ctx, req: &Request, limits: Data<&Arc<FindAgainLimits>>, form: FormData) -> PageResult {
    attempt(&ctx, req, &limits, None, form).await
}

#[handler]
async fn short_find(
    ctx: Ctx,
    req: &Request,
    limits: Data<&Arc<FindAgainLimits>>,
    Path(code): Path<String>,
    form: FormData,
) -> PageResult {
    let Some(code) = BookingCode::parse(&code) else {
        return Err(PageError::NotFound(invalid_code()));
    };
    attempt(&ctx, req, &limits, Some(code), form).await
}

async fn attempt(
    ctx: &Ctx,
    req: &Request,
    limits: &FindAgainLimits,
    short: Option<BookingCode>,
    form: FormData,
) -> PageResult {
    if !ctx.csrf.accepts(&form) {
        return Err(PageError::Csrf);
    }
    let shown = short.as_ref();
    let client = client_key(
        req.remote_addr().as_socket_addr().map(|a| a.ip()),
        req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok()),
        ctx.state.settings.trust_proxy,
    );
    if let Some(client) = client
        && !limits.client_ok(client)
    {
        return page(
            ctx,
            StatusCode::TOO_MANY_REQUESTS,
            shown,
            &form,
            FormErrors::form(TOO_MANY),
        );
    }

    let mut errors = FormErrors::default();
    let code = match &short {
        Some(c) => Some(c.clone()),
        None => match form.opt("code") {
            None => {
                errors.add("code", "Indiquez le code de réservation (exemple : K7P-4QX).");
                None
            }
            Some(raw) => BookingCode::parse(raw).or_else(|| {
                errors.add("code", invalid_code());
                None
            }),
        },
    };
    let proof = match form.opt("contact") {
        None => {
            errors.add(
                "contact",
                if short.is_some() {
                    "Indiquez le numéro de téléphone donné en réservant."
                } else {
                    "Indiquez le numéro de téléphone ou l'adresse e-mail donnés en réservant."
                },
            );
            None
        }
        Some(raw) => match Proof::parse(raw) {
            Some(Proof::Email(_)) if short.is_some() => {
                errors.add("contact", "Indiquez un numéro de téléphone (exemple : 06 12 34 56 78).");
                None
            }
            Some(p) => Some(p),
            None => {
                errors.add(
                    "contact",
                    if raw.contains('@') {
                        "Cette adresse e-mail n'est pas valide (exemple : prenom.nom@exemple.fr)."
                    } else {
                        "Ce numéro de téléphone n'est pas valide (exemple : 06 12 34 56 78)."
                    },
                );
                None
            }
        },
    };
    let (Some(code), Some(proof)) = (code, proof) else {
        return page(ctx, StatusCode::UNPROCESSABLE_ENTITY, shown, &form, errors);
    };
    // Counted whether the code exists or not: the limit itself must tell nothing.
    if !limits.code_ok(&code) {
        return page(
            ctx,
            StatusCode::TOO_MANY_REQUESTS,
            shown,
            &form,
            FormErrors::form(TOO_MANY),
        );
    }
    match bookings::find_again(&ctx.state.db, &code, &proof).await? {
        Some(found) => {
            // Ids only, never the code or the contact.
            tracing::info!(booking = ?found.kind, "booking found again by its code");
            let page = match found.kind {
                BookingKind::Registration => "inscription",
                BookingKind::Appointment => "rendez-vous",
            };
            Ok(see_other(&format!("/{page}/{}", found.token)))
        }
        None => page(ctx, StatusCode::NOT_FOUND, shown, &form, FormErrors::form(NOT_FOUND)),
    }
}
