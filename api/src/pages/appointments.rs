//! `/prendre-rendez-vous`: booking an appointment with a mediator, one question per page
//! (place, reason, day and time, details), every choice a plain link so that Tab and Enter
//! are enough; and `/rendez-vous/{token}`: the appointment's own page, to see, move or cancel
//! it. Everything goes through `appointments::service`, as the API does.
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use entities::{appointment, motif, place};
use minijinja::{Value, context};
use poem::{
    handler,
    http::StatusCode,
    web::{Path, Query},
};
use serde::{Deserialize, Serialize};

use super::routes::{PageRoutes, get};
use super::{
    Ctx, PageError, PageResult, error,
    forms::{self, EmailCheck, FormData, FormErrors},
    params::{parse_date, parse_slot_param, slot_param},
    see_other,
    workshops::{PlaceView, duration_words},
};
use crate::french;
use crate::{
    appointments::{
        dto::AppointmentStatus,
        queries::{self, organisation_tz},
        schedule,
        service::{self, AppointmentError, Booker, NewAppointment},
    },
    domain::{
        contact::{Contact, Voice, free_text},
        series::wall_to_utc_shifting_gaps,
        slots::{OpeningRule, Slot},
    },
    notifications::{history, payload::BookingKind},
    places::queries as place_queries,
    workshops::public_api::manage_url,
};

pub(crate) fn booking_routes() -> PageRoutes {
    PageRoutes::new()
        .at("/", get(places))
        .at("/:place", get(motifs))
        .at("/:place/:motif", get(slot_choice))
        .at("/:place/:motif/coordonnees", get(details_form).post(book))
}

pub(crate) fn manage_routes() -> PageRoutes {
    PageRoutes::new()
        .at("/:token", get(show))
        .at("/:token/annuler", get(confirm_cancel).post(cancel))
        .at("/:token/deplacer", get(move_slots))
        .at("/:token/deplacer/confirmer", get(confirm_move).post(do_move))
        .at(
            "/:token/effacer",
            get(crate::retention::pages::confirm_appointment).post(crate::retention::pages::erase_appointment),
        )
}

/// Days of free slots shown per page.
pub(crate) const DAYS_PER_PAGE: i64 = 14;

/// A slot start in a URL: `2027-01-12T13:30:00Z`.
#[derive(Serialize)]
struct PlaceCard {
    id: i32,
    place: PlaceView,
    hours: Vec<String>,
}

#[handler]
async fn places(ctx: Ctx) -> PageResult {
    let db = &ctx.state.db;
    let offered = queries::online_motifs(db, None).await?;
    let rows = place_queries::active(db).await?;
    let mut cards = Vec::new();
    for p in rows
        .iter()
        .filter(|p| offered.iter().any(|m| m.place_ids.contains(&p.id)))
    {
        let tz = organisation_tz(db, p.organisation_id).await?;
        let rules: Vec<OpeningRule> = schedule::rules(db, p.id)
            .await?
            .iter()
            .filter_map(schedule::to_rule)
            .collect();
        cards.push(PlaceCard {
            id: p.id,
            place: PlaceView::new(p),
            hours: french::opening_hours(&rules, ctx.now().with_timezone(&tz).date_naive()),
        });
    }
    ctx.render(
        "appointments/places.html",
        context! { nav => "rendez-vous", places => cards },
    )
}

fn place_not_found() -> PageError {
    PageError::NotFound("Ce lieu n'existe pas ou ne prend pas de rendez-vous en ligne.".into())
}

fn motif_not_found() -> PageError {
    PageError::NotFound("Ce motif de rendez-vous n'est pas proposé dans ce lieu.".into())
}

async fn load_place(ctx: &Ctx, id: &str) -> Result<(place::Model, Tz), PageError> {
    let id: i32 = id.parse().map_err(|_| place_not_found())?;
    let p = place_queries::active_by_id(&ctx.state.db, id)
        .await?
        .ok_or_else(place_not_found)?;
    let tz = organisation_tz(&ctx.state.db, p.organisation_id).await?;
    Ok((p, tz))
}

async fn load_motif(ctx: &Ctx, p: &place::Model, id: &str) -> Result<motif::Model, PageError> {
    let id: i32 = id.parse().map_err(|_| motif_not_found())?;
    service::offered_motif(&ctx.state.db, p, id, Booker::Resident)
        .await
        .map_err(|e| match e {
            AppointmentError::Db(e) => PageError::from(e),
            _ => motif_not_found(),
        })
}

#[derive(Serialize)]
struct MotifCard {
    id: i32,
    label: String,
    duration: String,
    instructions: String,
}

#[handler]
async fn motifs(ctx: Ctx, Path(place_id): Path<String>) -> PageResult {
    let (p, _) = load_place(&ctx, &place_id).await?;
    let cards: Vec<MotifCard> = queries::online_motifs(&ctx.state.db, Some(p.id))
        .await?
        .into_iter()
        .map(|m| MotifCard {
            id: m.id,
            label: m.label,
            duration: duration_words(i64::from(m.duration_minutes)),
            instructions: m.instructions,
        })
        .collect();
    if cards.is_empty() {
        return Err(place_not_found());
    }
    ctx.render(
        "appointments/motifs.html",
        context! { nav => "rendez-vous", place => PlaceView::new(&p), place_id => p.id, motifs => cards },
    )
}

#[derive(Serialize)]
struct SlotLink {
    time: String,
    start: String,
}

#[derive(Serialize)]
struct SlotDay {
    day: String,
    slots: Vec<SlotLink>,
}

/// Slots grouped by local day, in order.
fn by_day(slots: &[Slot], tz: Tz, year: i32) -> Vec<SlotDay> {
    let mut days: BTreeMap<NaiveDate, Vec<SlotLink>> = BTreeMap::new();
    for s in slots {
        let local = s.starts_at.with_timezone(&tz);
        days.entry(local.date_naive()).or_default().push(SlotLink {
            time: french::time(&local),
            start: slot_param(s.starts_at),
        });
    }
    days.into_iter()
        .map(|(d, slots)| SlotDay {
            day: french::date(d, year),
            slots,
        })
        .collect()
}

#[derive(Deserialize)]
struct FromQuery {
    a_partir: Option<String>,
}

/// The free slots of one page: `DAYS_PER_PAGE` days from `from` (today at the earliest), and
/// the first day of the next page when the reason's horizon goes further.
async fn slot_page(
    ctx: &Ctx,
    p: &place::Model,
    tz: Tz,
    m: &motif::Model,
    from: Option<&str>,
) -> Result<(Vec<Slot>, Option<String>, Option<String>), PageError> {
    let now = ctx.now();
    let today = now.with_timezone(&tz).date_naive();
    let first = from.and_then(parse_date).filter(|d| *d > today).unwrap_or(today);
    let last = first + Duration::days(DAYS_PER_PAGE);
    let midnight = |d: NaiveDate| wall_to_utc_shifting_gaps(tz, d.and_time(NaiveTime::MIN));
    let window = service::window(m, Booker::Resident);
    let slots = queries::free_slots(
        &ctx.state.db,
        p,
        tz,
        m,
        window.as_ref(),
        now,
        midnight(first).max(now),
        midnight(last),
    )
    .await?;
    let horizon = now + Duration::days(i64::from(m.horizon_days));
    let next = (midnight(last) < horizon).then(|| last.to_string());
    let previous = (first > today).then(|| Ord::max(first - Duration::days(DAYS_PER_PAGE), today).to_string());
    Ok((slots, next, previous))
}

fn motif_view(m: &motif::Model) -> Value {
    context! {
        id => m.id,
        label => &m.label,
        duration => duration_words(i64::from(m.duration_minutes)),
        instructions => &m.instructions,
    }
}

#[handler]
async fn slot_choice(
    ctx: Ctx,
    Path((place_id, motif_id)): Path<(String, String)>,
    Query(q): Query<FromQuery>,
) -> PageResult {
    let (p, tz) = load_place(&ctx, &place_id).await?;
    let m = load_motif(&ctx, &p, &motif_id).await?;
    let (slots, next, previous) = slot_page(&ctx, &p, tz, &m, q.a_partir.as_deref()).await?;
    let days = by_day(&slots, tz, ctx.year());
    ctx.render(
        "appointments/slots.html",
        context! {
            nav => "rendez-vous",
            place => PlaceView::new(&p),
            place_id => p.id,
            motif => motif_view(&m),
            days,
            next,
            previous,
            base => format!("/prendre-rendez-vous/{}/{}", p.id, m.id),
        },
    )
}

#[derive(Deserialize)]
struct StartQuery {
    debut: Option<String>,
}

/// A free slot offered instead of one that could not be booked.
#[derive(Serialize)]
struct Alternative {
    start: String,
    label: String,
}

/// What the details form shows besides the place and the reason.
#[derive(Default)]
struct DetailsForm {
    values: Value,
    errors: FormErrors,
    email_check: Option<EmailCheck>,
    /// The nearest free slots, when the chosen one can no longer be booked.
    alternatives: Option<Vec<Alternative>>,
}

/// How many free slots are offered in place of one that was taken.
const ALTERNATIVES: usize = 6;

/// The free slots nearest to `wanted` (from three days before to two weeks after), in order.
async fn nearest_free(
    ctx: &Ctx,
    p: &place::Model,
    tz: Tz,
    m: &motif::Model,
    wanted: DateTime<Utc>,
) -> Result<Vec<Alternative>, PageError> {
    let now = ctx.now();
    let window = service::window(m, Booker::Resident);
    let from = (wanted - Duration::days(3)).max(now);
    let slots = queries::free_slots(
        &ctx.state.db,
        p,
        tz,
        m,
        window.as_ref(),
        now,
        from,
        wanted + Duration::days(DAYS_PER_PAGE),
    )
    .await?;
    let starts: Vec<DateTime<Utc>> = slots.iter().map(|s| s.starts_at).collect();
    Ok(nearest(&starts, wanted, ALTERNATIVES)
        .into_iter()
        .map(|start| Alternative {
            start: slot_param(start),
            label: french::short_at(&start.with_timezone(&tz), ctx.year()),
        })
        .collect())
}

/// The `n` starts nearest to `wanted` (`wanted` itself left out), in time order.
fn nearest(starts: &[DateTime<Utc>], wanted: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
    let mut near: Vec<DateTime<Utc>> = starts.iter().copied().filter(|s| *s != wanted).collect();
    near.sort_by_key(|s| ((*s - wanted).num_seconds().abs(), *s));
    near.truncate(n);
    near.sort();
    near
}

async fn details_page(
    ctx: &Ctx,
    (p, tz, m): (&place::Model, Tz, &motif::Model),
    start: DateTime<Utc>,
    status: StatusCode,
    form: DetailsForm,
) -> PageResult {
    let local = start.with_timezone(&tz);
    ctx.render_status(
        status,
        "appointments/details.html",
        context! {
            nav => "rendez-vous",
            place => PlaceView::new(p),
            place_id => p.id,
            motif => motif_view(m),
            when => french::short_at(&local, ctx.year()),
            start => slot_param(start),
            values => form.values,
            errors => form.errors,
            email_check => form.email_check,
            alternatives => form.alternatives,
        },
    )
}

fn slot_missing() -> PageError {
    PageError::BadRequest("Aucun horaire n'a été choisi : revenez à la liste des créneaux.".into())
}

#[handler]
async fn details_form(
    ctx: Ctx,
    Path((place_id, motif_id)): Path<(String, String)>,
    Query(q): Query<StartQuery>,
) -> PageResult {
    let (p, tz) = load_place(&ctx, &place_id).await?;
    let m = load_motif(&ctx, &p, &motif_id).await?;
    let start = q.debut.as_deref().and_then(parse_slot_param).ok_or_else(slot_missing)?;
    details_page(&ctx, (&p, tz, &m), start, StatusCode::OK, DetailsForm::default()).await
}

/// The details form as posted: the slot, who is coming and how to reach them, what they wrote.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DetailsFields {
    /// The chosen start (`slot_param`); missing when a taken slot's form offers others.
    start: String,
    /// The first choice, sent beside the others offered instead.
    wanted: String,
    #[serde(flatten)]
    contact: forms::ContactFields,
    note: String,
    accessibility_needs: String,
    #[serde(deserialize_with = "forms::present")]
    sms_asked: Option<String>,
    #[serde(deserialize_with = "forms::present")]
    sms: Option<String>,
}

/// The details once checked: what booking needs besides the place, reason and slot.
struct Details {
    contact: Contact,
    note: Option<String>,
    accessibility_needs: Option<String>,
    sms: Option<bool>,
}

/// Why the details were refused: every problem at once, and the e-mail question if any.
struct Refused {
    errors: FormErrors,
    email_check: Option<EmailCheck>,
}

impl TryFrom<&DetailsFields> for Details {
    type Error = Refused;

    fn try_from(f: &DetailsFields) -> Result<Details, Refused> {
        let mut errors = FormErrors::default();
        let mut contact = forms::read_contact(&f.contact, Voice::Resident, &mut errors);
        let email_check = contact
            .as_mut()
            .and_then(|c| forms::check_typed_email(&f.contact, c, &mut errors));
        // The note and the accessibility needs are bounded like the API's.
        let note = free_text(Some(&f.note), 1000)
            .map_err(|e| errors.add("note", e.to_string()))
            .ok()
            .flatten();
        let accessibility_needs = free_text(Some(&f.accessibility_needs), 500)
            .map_err(|e| errors.add("accessibility_needs", e.to_string()))
            .ok()
            .flatten();
        match contact.filter(|_| errors.is_empty()) {
            Some(contact) => Ok(Details {
                contact,
                note,
                accessibility_needs,
                sms: forms::sms_answer(f.sms_asked.as_deref(), f.sms.is_some()),
            }),
            None => Err(Refused { errors, email_check }),
        }
    }
}

/// The refusals a different slot answers: the nearest free ones are offered right there.
fn another_slot_helps(e: &AppointmentError) -> bool {
    use AppointmentError::*;
    matches!(e, SlotTaken | OutsideWindow | InPast | Closed | OffGrid)
}

#[handler]
async fn book(ctx: Ctx, Path((place_id, motif_id)): Path<(String, String)>, form: FormData) -> PageResult {
    if !ctx.csrf.accepts(&form) {
        return Err(PageError::Csrf);
    }
    let (p, tz) = load_place(&ctx, &place_id).await?;
    let m = load_motif(&ctx, &p, &motif_id).await?;
    let values = || Value::from_serialize(form.values());
    let fields: DetailsFields = form.typed()?;
    // The form of a slot that was taken offers others as `start`, the first choice as `wanted`.
    let Some(start) = parse_slot_param(&fields.start) else {
        let wanted = parse_slot_param(&fields.wanted).ok_or_else(slot_missing)?;
        let page = DetailsForm {
            values: values(),
            errors: {
                let mut e = FormErrors::default();
                e.add("start", "Choisissez l'un des horaires proposés.");
                e
            },
            alternatives: Some(nearest_free(&ctx, &p, tz, &m, wanted).await?),
            ..Default::default()
        };
        return details_page(&ctx, (&p, tz, &m), wanted, StatusCode::UNPROCESSABLE_ENTITY, page).await;
    };
    let details = match Details::try_from(&fields) {
        Ok(d) => d,
        Err(Refused { errors, email_check }) => {
            let page = DetailsForm {
                values: values(),
                errors,
                email_check,
                alternatives: None,
            };
            return details_page(&ctx, (&p, tz, &m), start, StatusCode::UNPROCESSABLE_ENTITY, page).await;
        }
    };
    let request = NewAppointment {
        place_id: p.id,
        motif_id: m.id,
        starts_at: start,
        contact: details.contact,
        note: details.note,
        accessibility_needs: details.accessibility_needs,
        sms: details.sms,
    };
    let done = service::book(&ctx.state, request, Booker::Resident).await;
    crate::http::metrics::appointment(&done, |e| matches!(e, AppointmentError::SlotTaken));
    match done {
        Ok(b) => Ok(see_other(&format!("/rendez-vous/{}", b.manage_token))),
        Err(e) => {
            let (status, message) = error::on_form(&e)?;
            let alternatives = if another_slot_helps(&e) {
                Some(nearest_free(&ctx, &p, tz, &m, start).await?)
            } else {
                None
            };
            let mut errors = FormErrors::default();
            let offered = alternatives.as_ref().is_some_and(|a| !a.is_empty());
            errors.add(if offered { "start" } else { "" }, message);
            let page = DetailsForm {
                values: values(),
                errors,
                email_check: None,
                alternatives,
            };
            details_page(&ctx, (&p, tz, &m), start, status, page).await
        }
    }
}

// --- The appointment's own page ---

fn bad_link() -> PageError {
    PageError::NotFound(
        "Ce lien de rendez-vous n'est pas valable. Vérifiez qu'il est complet (recopiez-le depuis votre e-mail), \
         ou contactez-nous."
            .into(),
    )
}

async fn by_token(ctx: &Ctx, token: &str) -> Result<appointment::Model, PageError> {
    service::find_by_token(&ctx.state.db, token).await.map_err(|e| match e {
        AppointmentError::Db(e) => PageError::from(e),
        _ => bad_link(),
    })
}

fn status_str(s: AppointmentStatus) -> &'static str {
    match s {
        AppointmentStatus::Booked => "booked",
        AppointmentStatus::Honoured => "honoured",
        AppointmentStatus::NoShow => "no_show",
        AppointmentStatus::Excused => "excused",
        AppointmentStatus::Cancelled => "cancelled",
    }
}

/// The appointment as its holder sees it, for the templates.
async fn appointment_context(ctx: &Ctx, token: &str, a: appointment::Model) -> Result<Value, PageError> {
    let email = a.email.clone();
    let tz = organisation_tz(&ctx.state.db, a.organisation_id).await?;
    // A move is said as long as the booking stands, with the time it had before.
    let moved_from = match a.status {
        AppointmentStatus::Booked => history::before_last_move(&ctx.state.db, BookingKind::Appointment, a.id)
            .await?
            .filter(|before| *before != a.starts_at)
            .map(|before| french::short_at(&before.with_timezone(&tz), ctx.year())),
        _ => None,
    };
    let v = queries::appointment_view(&ctx.state.db, a, ctx.now()).await?;
    Ok(context! {
        token,
        booking_code => v.booking_code,
        status => status_str(v.status),
        can_change => v.can_change,
        name => v.name,
        motif => v.motif_label,
        instructions => v.instructions,
        when => french::short_at(&v.starts_at, ctx.year()),
        until => french::time(&v.ends_at),
        place => context! {
            name => v.place_name,
            address => v.place_address,
            access => v.place_access,
            phone => v.place_phone.as_deref().map(french::phone),
            phone_href => v.place_phone.as_deref().map(french::tel_href),
        },
        cancel_reason => v.cancel_reason,
        has_email => email.is_some(),
        email,
        moved_from,
        ics_url => format!("/api/v1/appointments/{token}/invite.ics"),
        manage_url => manage_url(&ctx.state, BookingKind::Appointment, token),
    })
}

#[handler]
async fn show(ctx: Ctx, Path(token): Path<String>) -> PageResult {
    let a = by_token(&ctx, &token).await?;
    let appt = appointment_context(&ctx, &token, a).await?;
    let erase =
        crate::retention::pages::erase_offer(&ctx, crate::notifications::payload::BookingKind::Appointment, &token)
            .await?;
    ctx.render("appointments/manage.html", context! { appt, ..erase })
}

async fn cancel_page(
    ctx: &Ctx,
    token: &str,
    a: appointment::Model,
    status: StatusCode,
    errors: FormErrors,
) -> PageResult {
    let appt = appointment_context(ctx, token, a).await?;
    ctx.render_status(status, "appointments/cancel.html", context! { appt, errors })
}

#[handler]
async fn confirm_cancel(ctx: Ctx, Path(token): Path<String>) -> PageResult {
    let a = by_token(&ctx, &token).await?;
    if !service::resident_may_change(&a, ctx.now()) {
        return Ok(see_other(&format!("/rendez-vous/{token}")));
    }
    cancel_page(&ctx, &token, a, StatusCode::OK, FormErrors::default()).await
}

#[handler]
async fn cancel(ctx: Ctx, Path(token): Path<String>, form: FormData) -> PageResult {
    if !ctx.csrf.accepts(&form) {
        return Err(PageError::Csrf);
    }
    let a = by_token(&ctx, &token).await?;
    match service::cancel(&ctx.state, a.id, Booker::Resident, None, Some(&token)).await {
        Ok(_) => Ok(see_other(&format!("/rendez-vous/{token}"))),
        Err(e) => {
            let (status, message) = error::on_form(&e)?;
            let a = by_token(&ctx, &token).await?;
            cancel_page(&ctx, &token, a, status, FormErrors::form(message)).await
        }
    }
}

/// The place, its zone and the reason of an appointment that may still be moved.
async fn movable(ctx: &Ctx, token: &str) -> Result<(appointment::Model, place::Model, Tz, motif::Model), PageError> {
    let a = by_token(ctx, token).await?;
    let p = place_queries::by_id(&ctx.state.db, a.place_id)
        .await?
        .ok_or_else(bad_link)?;
    let tz = organisation_tz(&ctx.state.db, p.organisation_id).await?;
    let m = queries::motif(&ctx.state.db, a.motif_id).await?.ok_or_else(bad_link)?;
    Ok((a, p, tz, m))
}

#[handler]
async fn move_slots(ctx: Ctx, Path(token): Path<String>, Query(q): Query<FromQuery>) -> PageResult {
    let (a, p, tz, m) = movable(&ctx, &token).await?;
    if !service::resident_may_change(&a, ctx.now()) {
        return Ok(see_other(&format!("/rendez-vous/{token}")));
    }
    let (slots, next, previous) = slot_page(&ctx, &p, tz, &m, q.a_partir.as_deref()).await?;
    let slots: Vec<Slot> = slots.into_iter().filter(|s| s.starts_at != a.starts_at).collect();
    let days = by_day(&slots, tz, ctx.year());
    let appt = appointment_context(&ctx, &token, a).await?;
    ctx.render(
        "appointments/move.html",
        context! {
            appt,
            days,
            next,
            previous,
            base => format!("/rendez-vous/{token}/deplacer"),
        },
    )
}

async fn confirm_move_page(
    ctx: &Ctx,
    token: &str,
    a: appointment::Model,
    tz: Tz,
    start: DateTime<Utc>,
    status: StatusCode,
    errors: FormErrors,
) -> PageResult {
    let new_when = french::short_at(&start.with_timezone(&tz), ctx.year());
    let appt = appointment_context(ctx, token, a).await?;
    ctx.render_status(
        status,
        "appointments/move_confirm.html",
        context! { appt, new_when, start => slot_param(start), errors },
    )
}

#[handler]
async fn confirm_move(ctx: Ctx, Path(token): Path<String>, Query(q): Query<StartQuery>) -> PageResult {
    let (a, _, tz, _) = movable(&ctx, &token).await?;
    let start = q.debut.as_deref().and_then(parse_slot_param).ok_or_else(slot_missing)?;
    confirm_move_page(&ctx, &token, a, tz, start, StatusCode::OK, FormErrors::default()).await
}

#[handler]
async fn do_move(ctx: Ctx, Path(token): Path<String>, form: FormData) -> PageResult {
    if !ctx.csrf.accepts(&form) {
        return Err(PageError::Csrf);
    }
    let (a, _, tz, _) = movable(&ctx, &token).await?;
    let start = parse_slot_param(form.get("start")).ok_or_else(slot_missing)?;
    match service::reschedule(&ctx.state, a.id, start, None, Booker::Resident, Some(&token)).await {
        Ok(_) => Ok(see_other(&format!("/rendez-vous/{token}"))),
        Err(e) => {
            let (status, message) = error::on_form(&e)?;
            let a = by_token(&ctx, &token).await?;
            confirm_move_page(&ctx, &token, a, tz, start, status, FormErrors::form(message)).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn details(pairs: &[(&str, &str)]) -> Result<Details, Refused> {
        let fields: DetailsFields = FormData::from_pairs(pairs).typed().expect("readable");
        Details::try_from(&fields)
    }

    #[test]
    fn the_details_form_becomes_a_contact_with_its_texts_and_sms_answer() {
        let d = details(&[
            ("csrf", "x"),
            ("start", "2027-01-12T13:30:00Z"),
            ("name", " Ahmed Benali "),
            ("phone", "06 12 34 56 78"),
            ("note", " Carte Vitale "),
            ("sms_asked", "1"),
            ("sms", ""),
        ])
        .ok()
        .expect("accepted");
        assert_eq!(d.contact.name.as_str(), "Ahmed Benali");
        assert_eq!(d.contact.phone.unwrap().as_str(), "+33612345678");
        assert_eq!(d.note.as_deref(), Some("Carte Vitale"));
        assert_eq!(d.accessibility_needs, None);
        assert_eq!(d.sms, Some(true), "a box sent empty is still ticked");
        let d = details(&[("name", "Ahmed"), ("phone", "0612345678"), ("sms_asked", "1")])
            .ok()
            .unwrap();
        assert_eq!(d.sms, Some(false));
        let d = details(&[("name", "Ahmed"), ("phone", "0612345678")]).ok().unwrap();
        assert_eq!(d.sms, None, "not asked");
    }

    #[test]
    fn the_details_form_is_refused_with_every_problem_and_the_email_question() {
        let long = "x".repeat(1001);
        let Err(r) = details(&[("name", ""), ("email", "josette@gmial.com"), ("note", &long)]) else {
            panic!("refused");
        };
        let fields: Vec<_> = r.errors.list.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "note"]);
        assert!(r.email_check.is_none(), "no question without a valid contact");
        let Err(r) = details(&[("name", "Josette"), ("email", "josette@gmial.com")]) else {
            panic!("asked about the address");
        };
        assert_eq!(r.email_check.unwrap().suggested, "josette@gmail.com");
        assert!(r.errors.by_field["email"].contains("vouliez-vous dire josette@gmail.com ?"));
    }

    #[test]
    fn the_slots_nearest_to_the_one_taken_are_offered_in_time_order() {
        let at = |h: u32, m: u32| Utc.with_ymd_and_hms(2027, 1, 5, h, m, 0).unwrap();
        let starts = [
            at(8, 0),
            at(8, 30),
            at(9, 0),
            at(9, 30),
            at(10, 0),
            at(13, 0),
            at(15, 0),
        ];
        assert_eq!(nearest(&starts, at(9, 0), 3), [at(8, 0), at(8, 30), at(9, 30)]);
        assert_eq!(nearest(&starts, at(14, 0), 2), [at(13, 0), at(15, 0)]);
        assert!(nearest(&[], at(9, 0), 3).is_empty());
    }

    #[test]
    fn slots_are_grouped_by_local_day_in_order() {
        let tz = chrono_tz::Europe::Paris;
        let slot = |d, h| Slot {
            starts_at: tz.with_ymd_and_hms(2027, 1, d, h, 0, 0).unwrap().with_timezone(&Utc),
            ends_at: tz.with_ymd_and_hms(2027, 1, d, h, 30, 0).unwrap().with_timezone(&Utc),
            free_desks: vec![1],
        };
        let days = by_day(&[slot(12, 9), slot(12, 10), slot(13, 14)], tz, 2027);
        assert_eq!(days.len(), 2);
        assert_eq!(days[0].day, "mardi 12 janvier");
        assert_eq!(days[0].slots.len(), 2);
        assert_eq!(days[1].slots[0].time, "14\u{a0}h");
    }
}
