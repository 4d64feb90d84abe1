//! `creneau demo`: Arles' places, a workshop catalogue and sessions over the coming weeks,
//! so that a newcomer sees the product working with one command.
pub(crate) mod appointments;
pub(crate) mod records;

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc, Weekday};
use entities::{
    kinds::{OutboxStatus, PlaceKind, SessionStatus},
    organisation, outbox, place, session, workshop,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::{
    auth::{Role, api::create_staff},
    domain::{contact::Contact, series::WeeklySeries},
    platform::state::AppState,
    workshops::{
        desks,
        service::{self, Booker},
    },
};

pub const DEMO_ADMIN_EMAIL: &str = "coordination@arles.example";
pub const DEMO_PASSWORD: &str = "demo-arles-2027";
pub(crate) const DEMO_FACILITATOR_EMAIL: &str = "animation@arles.example";

/// A workshop's weekly rhythm: (workshop index, place, weekday, start h:m, end h:m).
type WeeklySlot<'a> = (usize, &'a place::Model, Weekday, (u32, u32), (u32, u32));

pub struct Seeded {
    pub organisation: organisation::Model,
    pub places: Vec<place::Model>,
}

struct PlaceSeed {
    name: &'static str,
    kind: PlaceKind,
    address: &'static str,
    phone: Option<&'static str>,
    equipment: &'static str,
    access: &'static str,
    desks: i32,
    active: bool,
}

const PLACES: &[PlaceSeed] = &[
    PlaceSeed {
        name: "Médiathèque d'Arles",
        kind: PlaceKind::Library,
        address: "Espace Van Gogh, place Félix Rey",
        phone: Some("04 90 49 39 39"),
        equipment: "Salle de formation : 8 ordinateurs, vidéoprojecteur, imprimante, scanner",
        access: "Accès de plain-pied par la cour de l'Espace Van Gogh ; ascenseur pour l'étage.",
        desks: 1,
        active: true,
    },
    PlaceSeed {
        name: "Mairie annexe du Sambuc",
        kind: PlaceKind::MediationPoint,
        address: "Mairie annexe, Le Sambuc",
        phone: Some("04 90 97 20 41"),
        equipment: "Un ordinateur, une imprimante, un scanner",
        access: "Rez-de-chaussée, accès de plain-pied. Parking devant la mairie annexe.",
        desks: 1,
        active: true,
    },
    PlaceSeed {
        name: "Maison publique de Trinquetaille",
        kind: PlaceKind::MediationPoint,
        address: "Maison publique de quartier, avenue de Camargue, Trinquetaille",
        phone: Some("04 90 18 46 73"),
        equipment: "Deux postes d'accompagnement, imprimante, scanner",
        access: "Rez-de-chaussée accessible en fauteuil. Bus : arrêt Trinquetaille.",
        desks: 2,
        active: true,
    },
    PlaceSeed {
        name: "Maison publique de Barriol",
        kind: PlaceKind::MediationPoint,
        address: "Maison publique de quartier, Barriol",
        phone: None,
        equipment: "Un poste d'accompagnement, imprimante, scanner",
        access: "Ouverture prochaine.",
        desks: 1,
        active: false,
    },
    PlaceSeed {
        name: "Maison publique du Trébon",
        kind: PlaceKind::MediationPoint,
        address: "Maison publique de quartier, Le Trébon",
        phone: None,
        equipment: "Un poste d'accompagnement, imprimante, scanner",
        access: "Ouverture prochaine.",
        desks: 1,
        active: false,
    },
    PlaceSeed {
        name: "Maison publique de Griffeuille",
        kind: PlaceKind::MediationPoint,
        address: "Maison publique de quartier, Griffeuille",
        phone: None,
        equipment: "Un poste d'accompagnement, imprimante, scanner",
        access: "Ouverture prochaine.",
        desks: 1,
        active: false,
    },
    PlaceSeed {
        name: "Maison de la Vie Associative",
        kind: PlaceKind::AssociationHouse,
        address: "2 boulevard des Lices",
        phone: Some("04 90 93 53 75"),
        equipment: "Postes en libre accès pour les associations, imprimante, scanner",
        access: "Accès de plain-pied, boucle magnétique à l'accueil.",
        desks: 1,
        active: true,
    },
];

struct WorkshopSeed {
    title: &'static str,
    summary: &'static str,
    description: &'static str,
    level: &'static str,
    minutes: i32,
    capacity: i32,
}

const WORKSHOPS: &[WorkshopSeed] = &[
    WorkshopSeed {
        title: "Créer mon compte citoyen",
        summary: "Créer son compte sur le portail des démarches de la Ville et s'en servir.",
        description: "Pas à pas, créez votre compte citoyen, choisissez un mot de passe que vous retiendrez, et faites une première démarche (inscription à la cantine, signalement). Venez avec une adresse e-mail si vous en avez une ; sinon, nous la créons ensemble.",
        level: "Débutant",
        minutes: 120,
        capacity: 8,
    },
    WorkshopSeed {
        title: "Remplir un formulaire en ligne",
        summary: "Comprendre les champs, les listes, les cases à cocher et les pièces jointes.",
        description: "À partir de vrais formulaires (demande d'acte, inscription scolaire), apprenez à remplir, vérifier et envoyer un formulaire, et à garder une preuve d'envoi.",
        level: "Débutant",
        minutes: 120,
        capacity: 8,
    },
    WorkshopSeed {
        title: "Scanner et envoyer un document",
        summary: "Numériser un justificatif avec le scanner ou son téléphone, puis l'envoyer.",
        description: "Scanner une pièce d'identité ou un justificatif de domicile, le retrouver sur l'ordinateur, le joindre à une démarche ou à un e-mail. Apportez un document (une facture par exemple).",
        level: "Débutant",
        minutes: 90,
        capacity: 6,
    },
    WorkshopSeed {
        title: "Premiers pas avec l'ordinateur",
        summary: "La souris, le clavier, les fenêtres : pour celles et ceux qui débutent vraiment.",
        description: "Un atelier sans prérequis, à votre rythme : allumer l'ordinateur, se servir de la souris et du clavier, ouvrir une page internet.",
        level: "Grand débutant",
        minutes: 90,
        capacity: 6,
    },
];

/// Fills an empty database. Sessions start from the week after `now`.
pub async fn seed(state: &AppState) -> anyhow::Result<Seeded> {
    let now = state.clock.now();
    let org = organisation::ActiveModel {
        slug: Set("arles".into()),
        name: Set("Ville d'Arles".into()),
        timezone: Set(state.settings.timezone.name().into()),
        contact_email: Set("mediation-numerique@arles.example".into()),
        contact_phone: Set(Some("04 90 49 36 36".into())),
        reminder_offsets: Set("2880,180".into()),
        max_future_appointments: Set(2),
        calendar_uid_part: Set(crate::notifications::enqueue::calendar_uid_part()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    let mut places = Vec::new();
    for p in PLACES {
        places.push(
            place::ActiveModel {
                organisation_id: Set(org.id),
                name: Set(p.name.into()),
                kind: Set(p.kind),
                address: Set(p.address.into()),
                postal_code: Set("13200".into()),
                city: Set("Arles".into()),
                public_phone: Set(p.phone.map(Into::into)),
                equipment: Set(Some(p.equipment.into())),
                access_notes: Set(Some(p.access.into())),
                desks: Set(p.desks),
                close_on_public_holidays: Set(true),
                active: Set(p.active),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&state.db)
            .await?,
        );
    }
    let admin = create_staff(
        state,
        org.id,
        DEMO_ADMIN_EMAIL,
        "Camille Roux",
        Role::Admin,
        DEMO_PASSWORD,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}", e.problem().message))?;
    let facilitator = create_staff(
        state,
        org.id,
        DEMO_FACILITATOR_EMAIL,
        "Karim Benali",
        Role::Facilitator,
        DEMO_PASSWORD,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}", e.problem().message))?;
    create_staff(
        state,
        org.id,
        "mediation@arles.example",
        "Sophie Martin",
        Role::Coordinator,
        DEMO_PASSWORD,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}", e.problem().message))?;

    let mut workshops = Vec::new();
    for w in WORKSHOPS {
        workshops.push(
            workshop::ActiveModel {
                organisation_id: Set(org.id),
                title: Set(w.title.into()),
                summary: Set(w.summary.into()),
                description: Set(w.description.into()),
                level: Set(w.level.into()),
                audience: Set("Adultes ; aucune connaissance requise".into()),
                default_duration_minutes: Set(w.minutes),
                default_capacity: Set(w.capacity),
                active: Set(true),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&state.db)
            .await?,
        );
    }

    // A weekly rhythm over six weeks at the media library, the association house and, at
    // Trinquetaille, on the desks: those afternoons take no appointment.
    let library = &places[0];
    let trinquetaille = &places[2];
    let association = &places[6];
    let today = now.with_timezone(&state.settings.timezone).date_naive();
    // (workshop index, place, weekday, start, end)
    let plan: [WeeklySlot<'_>; 5] = [
        (0, library, Weekday::Tue, (14, 0), (16, 0)),
        (1, library, Weekday::Thu, (10, 0), (12, 0)),
        (2, library, Weekday::Sat, (10, 0), (11, 30)),
        (3, association, Weekday::Wed, (9, 30), (11, 0)),
        (1, trinquetaille, Weekday::Thu, (14, 0), (16, 0)),
    ];
    let mut first_sessions = Vec::new();
    for (w, place, weekday, (sh, sm), (eh, em)) in plan {
        let series = WeeklySeries {
            weekday,
            start_time: NaiveTime::from_hms_opt(sh, sm, 0).expect("valid"),
            end_time: NaiveTime::from_hms_opt(eh, em, 0).expect("valid"),
            first_date: today + Duration::days(1),
            last_date: today + Duration::days(42),
            skip_public_holidays: true,
        };
        for (i, o) in series
            .plan(state.settings.timezone)?
            .occurrences
            .into_iter()
            .enumerate()
        {
            let s = insert_session(
                state,
                org.id,
                &workshops[w],
                place,
                o.starts_at,
                o.ends_at,
                Some(facilitator.id),
                now,
            )
            .await?;
            if i == 0 {
                first_sessions.push(s);
            }
        }
    }
    // Some residents already registered: one session nearly full, one full with a waiting list.
    let people = [
        ("Jeanne Martin", Some("jeanne.martin@exemple.fr"), None),
        ("Ahmed Haddad", None, Some("06 12 34 56 78")),
        (
            "Lucienne Fabre",
            Some("lucienne.fabre@exemple.fr"),
            Some("04 90 11 22 33"),
        ),
        ("Paul Girard", Some("paul.girard@exemple.fr"), None),
        ("Fatima Zerrouki", None, Some("07 81 22 33 44")),
        ("Marcel Arnaud", Some("marcel.arnaud@exemple.fr"), None),
        ("Yvette Bonnet", Some("yvette.bonnet@exemple.fr"), None),
        ("Nadia Ferhat", Some("nadia.ferhat@exemple.fr"), None),
        ("Robert Vidal", None, Some("06 98 76 54 32")),
    ];
    for (i, (name, email, phone)) in people.iter().enumerate() {
        let target = if i < 5 { &first_sessions[0] } else { &first_sessions[2] };
        let contact = Contact::parse(name, *email, *phone).map_err(|e| anyhow::anyhow!("{e}"))?;
        let by = if phone.is_some() && email.is_none() {
            Booker::Staff(admin.id)
        } else {
            Booker::Resident
        };
        service::register(state, target.id, contact, None, by)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    // A session under way, whatever the time the demo starts: staff can take its attendance.
    let quarter = now.timestamp() - now.timestamp().rem_euclid(15 * 60);
    let under_way_start = DateTime::from_timestamp(quarter, 0).unwrap_or(now) - Duration::hours(1);
    let under_way = insert_session(
        state,
        org.id,
        &workshops[0],
        library,
        under_way_start,
        under_way_start + Duration::hours(2),
        Some(facilitator.id),
        now,
    )
    .await?;
    for (name, phone) in [("Gisèle Roux", "06 45 67 89 01"), ("Karim Benali", "07 56 78 90 12")] {
        let contact = Contact::parse(name, None, Some(phone)).map_err(|e| anyhow::anyhow!("{e}"))?;
        service::register(state, under_way.id, contact, None, Booker::Staff(admin.id))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    // A session cancelled, with its people told or left to call: the console shows both.
    let cancelled = &first_sessions[3];
    for (name, email, phone) in [
        ("Henriette Pons", None, Some("04 90 93 44 55")),
        ("Louis Mercier", Some("louis.mercier@exemple.fr"), None),
    ] {
        let contact = Contact::parse(name, email, phone).map_err(|e| anyhow::anyhow!("{e}"))?;
        service::register(state, cancelled.id, contact, None, Booker::Staff(admin.id))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    service::cancel_session(state, cancelled.id, Some("L'animatrice est malade.".into()))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    failed_message(state, "yvette.bonnet@exemple.fr").await?;
    crate::demo::appointments::seed(state, &org, &places).await?;
    crate::demo::records::seed(state, &org, &places).await?;
    Ok(Seeded {
        organisation: org,
        places,
    })
}

/// The first message to `email` marked as failed for good, as when a mailbox does not exist:
/// the console's "Messages" page lists it with its error and a retry button.
async fn failed_message(state: &AppState, email: &str) -> anyhow::Result<()> {
    let Some(row) = outbox::Entity::find()
        .filter(outbox::Column::RecipientEmail.eq(email))
        .order_by_asc(outbox::Column::Id)
        .one(&state.db)
        .await?
    else {
        return Ok(());
    };
    outbox::ActiveModel {
        id: Set(row.id),
        status: Set(OutboxStatus::Failed),
        attempts: Set(5),
        last_error: Set(Some("550 5.1.1 Adresse inconnue du serveur de destination".into())),
        ..Default::default()
    }
    .update(&state.db)
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn insert_session(
    state: &AppState,
    organisation_id: i32,
    w: &workshop::Model,
    place: &place::Model,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    facilitator: Option<i32>,
    now: DateTime<Utc>,
) -> anyhow::Result<session::Model> {
    // Saturday sessions are small: the full-with-waiting-list case of the demo.
    let capacity = if starts_at.with_timezone(&state.settings.timezone).weekday() == Weekday::Sat {
        3
    } else {
        w.default_capacity
    };
    // As planning gives them: all of a mediation point's desks, none elsewhere.
    let desks = desks::resolve(place, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(session::ActiveModel {
        organisation_id: Set(organisation_id),
        workshop_id: Set(w.id),
        place_id: Set(place.id),
        desks: Set(desks::encode(&desks)),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        capacity: Set(capacity),
        seats_taken: Set(0),
        facilitator_id: Set(facilitator),
        status: Set(SessionStatus::Scheduled),
        registration_closes_at: Set(starts_at),
        series_key: Set(None),
        cancel_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&state.db)
    .await?)
}
