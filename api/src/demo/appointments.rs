//! Demo data for appointments: opening hours of Arles' active mediation points, the usual
//! reasons people come for, which point offers which, and a few appointments already booked,
//! two of them today whatever the day the demo starts.
use chrono::{Duration, NaiveTime, Weekday};
use entities::kinds::PlaceKind;
use entities::{closure, extra_opening, motif, opening_rule, organisation, place, place_motif, staff_member};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::{
    appointments::{
        queries::free_slots,
        rules::{weekday_number, weeks_to_column},
        service::{self, Booker, NewAppointment},
    },
    auth::Role,
    domain::contact::Contact,
    platform::state::AppState,
    platform::time::parse_tz,
};

struct MotifSeed {
    label: &'static str,
    minutes: i32,
    online: bool,
    instructions: &'static str,
    /// Offered at Le Sambuc too (Trinquetaille offers every reason).
    at_sambuc: bool,
}

const MOTIFS: &[MotifSeed] = &[
    MotifSeed {
        label: "Compte citoyen et démarches de la Ville",
        minutes: 30,
        online: true,
        instructions: "Apportez une pièce d'identité et vos identifiants du compte citoyen (adresse e-mail et mot de passe) si vous en avez déjà un. Sinon, venez avec une adresse e-mail que vous consultez : nous créons le compte ensemble.",
        at_sambuc: true,
    },
    MotifSeed {
        label: "CAF",
        minutes: 45,
        online: true,
        instructions: "Apportez une pièce d'identité, votre numéro d'allocataire et vos identifiants caf.fr si vous en avez, ainsi que le courrier ou le document dont il est question (attestation, demande de justificatif).",
        at_sambuc: true,
    },
    MotifSeed {
        label: "ANTS : carte grise, permis, titres",
        minutes: 45,
        online: true,
        instructions: "Apportez une pièce d'identité, un justificatif de domicile de moins de 6 mois et vos identifiants FranceConnect (impots.gouv.fr, ameli.fr…) si vous en avez. Pour une carte grise : le certificat d'immatriculation barré et le code de cession ; pour un permis : la photo-signature numérique (code e-photo).",
        at_sambuc: true,
    },
    MotifSeed {
        label: "Impôts",
        minutes: 45,
        online: true,
        instructions: "Apportez une pièce d'identité, votre dernier avis d'impôt (il porte votre numéro fiscal) et votre mot de passe impots.gouv.fr si vous en avez un.",
        at_sambuc: true,
    },
    MotifSeed {
        label: "France Travail",
        minutes: 30,
        online: true,
        instructions: "Apportez une pièce d'identité, votre identifiant France Travail et, si vous en avez un, votre CV sur clé USB ou dans vos e-mails.",
        at_sambuc: false,
    },
    MotifSeed {
        label: "Ameli / santé",
        minutes: 30,
        online: true,
        instructions: "Apportez votre carte Vitale, une pièce d'identité et vos identifiants ameli.fr si vous en avez.",
        at_sambuc: true,
    },
    MotifSeed {
        label: "Retraite",
        minutes: 60,
        online: true,
        instructions: "Apportez une pièce d'identité, votre numéro de sécurité sociale et les courriers de vos caisses de retraite (relevé de carrière, estimation). Vos identifiants info-retraite.fr ou FranceConnect si vous en avez.",
        at_sambuc: false,
    },
    MotifSeed {
        label: "Imprimer ou scanner un document",
        minutes: 15,
        online: true,
        instructions: "Apportez le document à scanner, ou ayez le document à imprimer sur une clé USB, sur votre téléphone ou dans vos e-mails.",
        at_sambuc: true,
    },
    MotifSeed {
        label: "Autre",
        minutes: 30,
        online: true,
        instructions: "Décrivez votre besoin en quelques mots dans la note, pour que l'agent se prépare. Apportez une pièce d'identité et vos identifiants des sites concernés si vous en avez.",
        at_sambuc: true,
    },
    MotifSeed {
        label: "Accompagnement approfondi (sur orientation)",
        minutes: 90,
        online: false,
        instructions: "Rendez-vous fixé par l'équipe après un premier accueil. Apportez tous les documents de votre dossier et vos identifiants.",
        at_sambuc: false,
    },
];

/// (weekday, start, end, weeks of the month) in Paris wall time.
type RuleSeed = (Weekday, (u32, u32), (u32, u32), Option<&'static [u8]>);

/// Le Sambuc: two mornings a week, one desk.
const SAMBUC: &[RuleSeed] = &[
    (Weekday::Tue, (9, 0), (12, 0), None),
    (Weekday::Fri, (9, 0), (12, 0), None),
];

/// Trinquetaille: five days, two desks; Wednesday afternoon the 1st and 3rd of the month only.
const TRINQUETAILLE: &[RuleSeed] = &[
    (Weekday::Mon, (9, 0), (12, 0), None),
    (Weekday::Mon, (13, 30), (17, 0), None),
    (Weekday::Tue, (9, 0), (12, 0), None),
    (Weekday::Tue, (13, 30), (17, 0), None),
    (Weekday::Wed, (9, 0), (12, 0), None),
    (Weekday::Wed, (13, 30), (17, 0), Some(&[1, 3])),
    (Weekday::Thu, (9, 0), (12, 0), None),
    (Weekday::Thu, (13, 30), (17, 0), None),
    (Weekday::Fri, (9, 0), (12, 0), None),
    (Weekday::Fri, (13, 30), (17, 0), None),
];

fn hm((h, m): (u32, u32)) -> anyhow::Result<NaiveTime> {
    NaiveTime::from_hms_opt(h, m, 0).ok_or_else(|| anyhow::anyhow!("invalid time {h}:{m}"))
}

/// Adds opening hours, reasons and a few appointments to the demo organisation. `places`
/// are the ones `demo::seed` created; the active mediation points among them get hours
/// (Le Sambuc and Trinquetaille by name, any other with Trinquetaille's mornings).
pub(crate) async fn seed(
    state: &AppState,
    organisation: &organisation::Model,
    places: &[place::Model],
) -> anyhow::Result<()> {
    let now = state.clock.now();
    let tz = parse_tz(&organisation.timezone);
    let points: Vec<&place::Model> = places
        .iter()
        .filter(|p| p.active && p.kind == PlaceKind::MediationPoint)
        .collect();

    let mut motifs = Vec::new();
    for (i, m) in MOTIFS.iter().enumerate() {
        motifs.push(
            motif::ActiveModel {
                organisation_id: Set(organisation.id),
                label: Set(m.label.into()),
                duration_minutes: Set(m.minutes),
                bookable_online: Set(m.online),
                min_notice_minutes: Set(120),
                horizon_days: Set(60),
                instructions: Set(m.instructions.into()),
                position: Set(i as i32 * 10),
                active: Set(true),
                ..Default::default()
            }
            .insert(&state.db)
            .await?,
        );
    }

    for p in &points {
        let sambuc = p.name.contains("Sambuc");
        let rules: Vec<RuleSeed> = if sambuc {
            SAMBUC.to_vec()
        } else if p.name.contains("Trinquetaille") {
            TRINQUETAILLE.to_vec()
        } else {
            TRINQUETAILLE.iter().copied().filter(|r| r.1.0 < 12).collect()
        };
        for (weekday, start, end, weeks) in rules {
            opening_rule::ActiveModel {
                place_id: Set(p.id),
                weekday: Set(weekday_number(weekday)),
                start_time: Set(hm(start)?),
                end_time: Set(hm(end)?),
                weeks_of_month: Set(weeks_to_column(weeks)),
                valid_from: Set(None),
                valid_to: Set(None),
                ..Default::default()
            }
            .insert(&state.db)
            .await?;
        }
        for (m, seed) in motifs.iter().zip(MOTIFS) {
            if !sambuc || seed.at_sambuc {
                place_motif::ActiveModel {
                    place_id: Set(p.id),
                    motif_id: Set(m.id),
                }
                .insert(&state.db)
                .await?;
            }
        }
    }

    let today = now.with_timezone(&tz).date_naive();
    let sambuc = points.iter().find(|p| p.name.contains("Sambuc"));
    let trinquetaille = points.iter().find(|p| p.name.contains("Trinquetaille"));
    // A Saturday-morning session at Le Sambuc before the income-tax deadline.
    if let Some(p) = sambuc {
        let saturday = today
            .iter_days()
            .skip(14)
            .find(|d| chrono::Datelike::weekday(d) == Weekday::Sat)
            .unwrap_or(today);
        extra_opening::ActiveModel {
            place_id: Set(p.id),
            date: Set(saturday),
            start_time: Set(hm((9, 0))?),
            end_time: Set(hm((12, 0))?),
            note: Set(Some("Permanence spéciale déclaration de revenus".into())),
            ..Default::default()
        }
        .insert(&state.db)
        .await?;
    }
    // One agent in training for a day next week: Trinquetaille runs on one desk.
    if let Some(p) = trinquetaille {
        let thursday = today
            .iter_days()
            .skip(7)
            .find(|d| chrono::Datelike::weekday(d) == Weekday::Thu)
            .unwrap_or(today);
        let day_start = crate::domain::series::wall_to_utc_shifting_gaps(tz, thursday.and_time(NaiveTime::MIN));
        closure::ActiveModel {
            place_id: Set(p.id),
            desk: Set(Some(2)),
            starts_at: Set(day_start),
            ends_at: Set(day_start + Duration::days(1)),
            reason: Set("Agent en formation".into()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&state.db)
        .await?;
    }

    // A few appointments already booked, online and by the coordinator on the phone.
    let coordinator = staff_member::Entity::find()
        .filter(staff_member::Column::OrganisationId.eq(organisation.id))
        .filter(staff_member::Column::Role.is_in([Role::Coordinator, Role::Admin]))
        .order_by_asc(staff_member::Column::Id)
        .one(&state.db)
        .await?;
    let by_phone = coordinator.map_or(Booker::Resident, |c| Booker::Staff {
        staff_id: c.id,
        override_fair_use: false,
    });
    let label = |l: &str| motifs.iter().find(|m| m.label == l);
    // (place, reason, n-th free slot, name, e-mail, phone, note)
    type Booking<'a> = (
        Option<&'a &'a place::Model>,
        &'static str,
        usize,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
    );
    let bookings: [Booking; 6] = [
        (
            trinquetaille,
            "CAF",
            0,
            "Jeanne Martin",
            Some("jeanne.martin@exemple.fr"),
            None,
            Some("Demande de prime d'activité"),
        ),
        // The same slot again: both desks taken, the slot shows as full.
        (
            trinquetaille,
            "CAF",
            0,
            "Ahmed Haddad",
            None,
            Some("06 12 34 56 78"),
            None,
        ),
        (
            trinquetaille,
            "ANTS : carte grise, permis, titres",
            3,
            "Lucienne Fabre",
            Some("lucienne.fabre@exemple.fr"),
            Some("04 90 11 22 33"),
            Some("Changement d'adresse sur la carte grise"),
        ),
        (
            trinquetaille,
            "Retraite",
            6,
            "Marcel Arnaud",
            Some("marcel.arnaud@exemple.fr"),
            None,
            None,
        ),
        (
            sambuc,
            "Impôts",
            0,
            "Paul Girard",
            Some("paul.girard@exemple.fr"),
            None,
            None,
        ),
        (
            sambuc,
            "Imprimer ou scanner un document",
            2,
            "Fatima Zerrouki",
            None,
            Some("07 81 22 33 44"),
            None,
        ),
    ];
    for (p, reason, nth, name, email, phone, note) in bookings {
        let (Some(p), Some(m)) = (p, label(reason)) else {
            continue;
        };
        let by = if email.is_none() { by_phone } else { Booker::Resident };
        let window = service::window(m, by);
        let slots = free_slots(
            &state.db,
            p,
            tz,
            m,
            window.as_ref(),
            now,
            now + Duration::days(1),
            now + Duration::days(29),
        )
        .await?;
        let Some(slot) = slots.get(nth).or(slots.first()) else {
            continue;
        };
        let contact = Contact::parse(name, email, phone).map_err(|e| anyhow::anyhow!("{e}"))?;
        service::book(
            state,
            NewAppointment {
                place_id: p.id,
                motif_id: m.id,
                starts_at: slot.starts_at,
                contact,
                note: note.map(Into::into),
                accessibility_needs: (name == "Marcel Arnaud").then(|| "Malentendant : parler face à lui".into()),
                sms: None,
            },
            by,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    seed_today(state, tz, trinquetaille.map(|p| &**p), label("CAF"), by_phone).await?;
    Ok(())
}

/// Today, whatever the day: an extra opening at Trinquetaille from now on (Sunday included:
/// a demo must show a day's work) and two appointments booked in it by phone, so the day view
/// and the agenda have something to show. Nothing when the day is nearly over.
async fn seed_today(
    state: &AppState,
    tz: chrono_tz::Tz,
    place: Option<&place::Model>,
    motif: Option<&motif::Model>,
    by: Booker,
) -> anyhow::Result<()> {
    let (Some(p), Some(m)) = (place, motif) else {
        return Ok(());
    };
    let now = state.clock.now();
    let local = now.with_timezone(&tz).naive_local();
    // From the current half hour to four hours later, within the day.
    let start = NaiveTime::from_hms_opt(
        chrono::Timelike::hour(&local),
        chrono::Timelike::minute(&local) / 30 * 30,
        0,
    )
    .unwrap_or(NaiveTime::MIN);
    let last = hm((23, 30))?;
    // (Adding to a time of day wraps past midnight: compare before adding.)
    let end = if start + Duration::hours(4) > start && start + Duration::hours(4) < last {
        start + Duration::hours(4)
    } else {
        last.max(start)
    };
    if end - local.time() < Duration::minutes(i64::from(m.duration_minutes)) * 2 {
        return Ok(());
    }
    extra_opening::ActiveModel {
        place_id: Set(p.id),
        date: Set(local.date()),
        start_time: Set(start),
        end_time: Set(end),
        note: Set(Some("Permanence sans rendez-vous du jour".into())),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    let day_end = now + (end - local.time());
    let slots = free_slots(&state.db, p, tz, m, None, now, now, day_end).await?;
    let people = [
        ("Odette Blanc", None, Some("04 90 96 11 22")),
        ("Samir Kaci", Some("samir.kaci@exemple.fr"), None),
    ];
    for (slot, (name, email, phone)) in slots.iter().step_by(2).zip(people) {
        let contact = Contact::parse(name, email, phone).map_err(|e| anyhow::anyhow!("{e}"))?;
        service::book(
            state,
            NewAppointment {
                place_id: p.id,
                motif_id: m.id,
                starts_at: slot.starts_at,
                contact,
                note: None,
                accessibility_needs: None,
                sms: None,
            },
            by,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(())
}
