//! A walk-in booked "sur place": a name alone (the person is there, no phone nor e-mail
//! needed), now or at the next free slot of the day (see [`crate::appointments::walk_in`]).
use minijinja::Value;
use poem::{handler, http::StatusCode, web::Path};

use super::{day::day_page, place_in_org, staff_motif};
use crate::{
    appointments::{
        service::{self, WalkIn},
        walk_in::WalkInTime,
    },
    domain::contact::PersonName,
    pages::{
        PageResult, error,
        forms::{FormData, FormErrors},
        see_other,
        session_cookie::StaffCtx,
    },
};

#[handler]
pub(crate) async fn walk_in(ctx: StaffCtx, Path(place_id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let (p, tz) = place_in_org(&ctx, &place_id).await?;
    let today = ctx.state().clock.now().with_timezone(&tz).date_naive();
    let mut errors = FormErrors::default();
    let name = PersonName::parse(form.get("name"))
        .map_err(|_| errors.add("name", "Indiquez le nom de la personne (100 caractères au plus)."))
        .ok();
    let motif = match form.opt("motif") {
        Some(raw) => staff_motif(&ctx, &p, raw).await.ok(),
        None => None,
    };
    if motif.is_none() {
        errors.add("motif", "Choisissez le motif du rendez-vous.");
    }
    let when = match form.get("quand") {
        "maintenant" => Some(WalkInTime::Now),
        "prochain" => Some(WalkInTime::NextFree),
        _ => {
            errors.add("quand-maintenant", "Choisissez quand recevoir la personne.");
            None
        }
    };
    let values = Value::from_serialize(form.values());
    let (Some(name), Some(m), Some(when)) = (name, motif, when) else {
        return day_page(
            &ctx,
            &p,
            tz,
            today,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            values,
            errors,
        )
        .await;
    };
    let request = WalkIn {
        place_id: p.id,
        motif_id: m.id,
        name,
        when,
    };
    match service::book_walk_in(ctx.state(), request, ctx.me.id).await {
        Ok(b) => Ok(see_other(&format!(
            "/staff/lieux/{}?jour={today}&fait=sur-place#rdv-{}",
            p.id, b.appointment.id
        ))),
        Err(e) => {
            let (status, message) = error::on_form(&e)?;
            let mut errors = FormErrors::default();
            errors.add("quand-maintenant", message);
            day_page(&ctx, &p, tz, today, None, status, values, errors).await
        }
    }
}
