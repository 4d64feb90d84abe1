//! The figures of a period, counted by the database: each query groups its rows by month
//! (`CASE` on the months' first instants in the organisation's zone) and counts with
//! conditional `COUNT`s, so a year of 50,000 bookings comes back as a dozen rows per query.
//!
//! What is counted, and how:
//! * A booking belongs to the period of its session's or appointment's start, not of the day
//!   it was made. Bookings are confirmed registrations of sessions not cancelled, and
//!   appointments not cancelled. Waiting-list entries still waiting are not bookings.
//! * A person is a contact: the normalised e-mail address when one was given, else the
//!   normalised phone number (`email_key`, `phone_key`, the same keys the bookings are
//!   checked with), so one person counts once across workshops and appointments. Two people
//!   sharing a contact count as one; one person who gave an e-mail once and only a phone
//!   another time counts twice.
//! * Attendance and no-show rates are of the bookings that are past and marked: present and
//!   absent registrations of sessions already started; honoured, missed and excused
//!   appointments. An excused appointment counts as not come but is not a no-show.
//! * The fill rate is seats taken over seats offered, for the sessions held (started, not
//!   cancelled).
//! * A promotion is a registration given a seat from the waiting list (`promoted_at`);
//!   "came" means marked present.
//! * Days to the appointment: for each appointment not cancelled, the whole days between the
//!   moment it was booked and its start; the median of those. It is what a resident waits
//!   for an appointment; the true "next free slot" at the time of booking is not kept.
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use entities::kinds::{AppointmentStatus, Attendance, RegistrationStatus, SessionStatus};
use entities::{appointment, registration, session};
use poem_openapi::Object;
use sea_orm::sea_query::{
    Alias, CaseStatement, Cond, Expr, ExprTrait, Func, IntoColumnRef, Query, SelectStatement, UnionType,
};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult};
use serde::Serialize;

use super::filter::{StatsFilter, start_of};

/// The figures of workshop sessions.
#[derive(Debug, Clone, Default, PartialEq, Object, Serialize)]
pub struct WorkshopFigures {
    /// Sessions in the period, cancelled ones left out.
    pub sessions: i64,
    /// Sessions already started (held).
    pub sessions_held: i64,
    /// Seats offered in the sessions held.
    pub seats_offered: i64,
    /// Seats taken in the sessions held.
    pub seats_taken: i64,
    /// `seats_taken / seats_offered` (0 to 1); absent without a session held.
    #[oai(skip_serializing_if_is_none)]
    pub fill_rate: Option<f64>,
    /// Confirmed registrations.
    pub registrations: i64,
    /// Registrations of sessions held, marked present.
    pub present: i64,
    /// Registrations of sessions held, marked absent.
    pub absent: i64,
    /// Registrations of sessions held, not marked.
    pub unmarked: i64,
    /// `present / (present + absent)`.
    #[oai(skip_serializing_if_is_none)]
    pub attendance_rate: Option<f64>,
    /// `absent / (present + absent)`.
    #[oai(skip_serializing_if_is_none)]
    pub no_show_rate: Option<f64>,
    /// Still on a waiting list.
    pub waitlisted: i64,
    /// Registrations given a seat from the waiting list.
    pub promotions: i64,
    /// Of those, marked present.
    pub promotions_came: i64,
}

/// The figures of appointments.
#[derive(Debug, Clone, Default, PartialEq, Object, Serialize)]
pub struct AppointmentFigures {
    /// Appointments not cancelled.
    pub booked: i64,
    /// The resident came.
    pub honoured: i64,
    /// The resident did not come.
    pub no_show: i64,
    /// The resident did not come but had warned.
    pub excused: i64,
    /// Past and not marked.
    pub unmarked: i64,
    /// `honoured / (honoured + no_show + excused)`.
    #[oai(skip_serializing_if_is_none)]
    pub attendance_rate: Option<f64>,
    /// `no_show / (honoured + no_show + excused)`.
    #[oai(skip_serializing_if_is_none)]
    pub no_show_rate: Option<f64>,
    /// Median whole days between booking and appointment.
    #[oai(skip_serializing_if_is_none)]
    pub median_days_to_appointment: Option<f64>,
    /// Cancelled (by the resident or staff).
    pub cancelled: i64,
}

/// One month of the period.
#[derive(Debug, Clone, Default, PartialEq, Object, Serialize)]
pub struct MonthFigures {
    /// `2027-01`.
    pub month: String,
    /// `janv. 2027`, for charts and tables.
    pub label: String,
    pub registrations: i64,
    pub appointments: i64,
    /// Present registrations plus honoured appointments.
    pub came: i64,
    /// Absent registrations plus missed appointments (excused ones left out).
    pub no_show: i64,
    pub seats_offered: i64,
    pub seats_taken: i64,
}

/// Every figure of a period for one organisation.
#[derive(Debug, Clone, PartialEq, Object, Serialize)]
pub struct Statistics {
    /// First day of the period (organisation's zone).
    pub from: NaiveDate,
    /// Last day of the period, included.
    pub to: NaiveDate,
    /// Registrations plus appointments.
    pub bookings: i64,
    /// Distinct people among those bookings (by e-mail, else phone).
    pub people: i64,
    /// Came, of the past and marked bookings (0 to 1).
    #[oai(skip_serializing_if_is_none)]
    pub attendance_rate: Option<f64>,
    /// Did not come without warning, of the past and marked bookings (0 to 1).
    #[oai(skip_serializing_if_is_none)]
    pub no_show_rate: Option<f64>,
    pub workshops: WorkshopFigures,
    pub appointments: AppointmentFigures,
    /// One entry per month the period touches.
    pub months: Vec<MonthFigures>,
    /// Themes and autonomy from the completed activity records of the period (at the place
    /// filtered on; the workshop and reason filters do not narrow records).
    #[oai(skip_serializing_if_is_none)]
    pub themes_and_autonomy: Option<RecordFigures>,
    /// Satisfaction survey results of the period's months (smileys, clarity, response rate);
    /// absent when fewer than five people answered.
    #[oai(skip_serializing_if_is_none)]
    pub survey: Option<SurveyFigures>,
}

/// One code of the activity record and how many completed records carry it.
#[derive(Debug, Clone, PartialEq, Object, Serialize)]
pub struct CodeCount {
    /// The reference's code (`email`, `autonome`…).
    pub code: String,
    /// Its French label.
    pub label: String,
    pub count: i64,
}

/// What the completed activity records of the period say.
#[derive(Debug, Clone, PartialEq, Object, Serialize)]
pub struct RecordFigures {
    /// Completed records.
    pub records: i64,
    /// People accompanied: one per individual record, the participants of collective ones.
    pub participants: i64,
    /// Records per theme (a record with two themes counts in each), most frequent first.
    pub themes: Vec<CodeCount>,
    /// Individual records per autonomy outcome.
    pub autonomy: Vec<CodeCount>,
}

impl From<crate::records::stats::Summary> for RecordFigures {
    fn from(s: crate::records::stats::Summary) -> RecordFigures {
        use crate::records::codes::Coded;
        fn counts<T: Coded>(m: std::collections::BTreeMap<T, u32>) -> Vec<CodeCount> {
            let mut v: Vec<CodeCount> = m
                .into_iter()
                .map(|(k, n)| CodeCount {
                    code: k.code(),
                    label: k.label().to_string(),
                    count: i64::from(n),
                })
                .collect();
            v.sort_by_key(|c| std::cmp::Reverse(c.count));
            v
        }
        RecordFigures {
            records: i64::from(s.records),
            participants: i64::from(s.participants),
            themes: counts(s.themes),
            autonomy: counts(s.autonomie),
        }
    }
}

/// What the satisfaction survey says, from five answers on.
#[derive(Debug, Clone, PartialEq, Object, Serialize)]
pub struct SurveyFigures {
    pub answers: i64,
    /// Share of each smiley (0 to 1).
    pub share_good: f64,
    pub share_average: f64,
    pub share_bad: f64,
    /// Mean clarity mark (1 to 5), when any was given.
    #[oai(skip_serializing_if_is_none)]
    pub mean_clarity: Option<f64>,
    /// Invitations sent in the same months.
    pub invitations: i64,
    /// Answers over invitations (0 to 1).
    #[oai(skip_serializing_if_is_none)]
    pub response_rate: Option<f64>,
}

impl From<crate::survey::results::Results> for SurveyFigures {
    fn from(r: crate::survey::results::Results) -> SurveyFigures {
        let n = Ord::max(r.answers, 1) as f64;
        SurveyFigures {
            answers: r.answers as i64,
            share_good: r.good as f64 / n,
            share_average: r.average as f64 / n,
            share_bad: r.bad as f64 / n,
            mean_clarity: r.mean_clarity,
            invitations: r.invitations as i64,
            response_rate: r.response_rate,
        }
    }
}

/// `part / whole`, absent when there is nothing to divide.
pub(crate) fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The median of values given as (value, how many times), sorted or not.
pub(crate) fn median(mut counts: Vec<(i64, i64)>) -> Option<f64> {
    counts.sort_unstable();
    let n: i64 = counts.iter().map(|(_, c)| c).sum();
    if n == 0 {
        return None;
    }
    // The values at ranks (n-1)/2 and n/2 (0-based): the same one when n is odd.
    let at = |rank: i64| {
        let mut seen = 0;
        for (v, c) in &counts {
            seen += c;
            if rank < seen {
                return *v;
            }
        }
        counts.last().map(|(v, _)| *v).unwrap_or(0)
    };
    Some((at((n - 1) / 2) + at(n / 2)) as f64 / 2.0)
}

const FRENCH_MONTHS: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.",
];

fn month_label(m: NaiveDate) -> String {
    format!("{} {}", FRENCH_MONTHS[m.month0() as usize], m.year())
}

/// The month index of `col` (0 for the period's first month): one `WHEN` per month start.
fn month_bucket(col: impl IntoColumnRef + Clone, month_starts: &[DateTime<Utc>]) -> Expr {
    // Month numbers are written as literals (our own integers, never request data), so that
    // PostgreSQL types the column as an integer whatever the number of months.
    let last = Expr::cust((month_starts.len().max(1) - 1).to_string());
    if month_starts.len() <= 1 {
        return last;
    }
    let mut case = CaseStatement::new();
    for (i, start) in month_starts.iter().enumerate().skip(1) {
        case = case.case(Expr::col(col.clone()).lt(*start), Expr::cust((i - 1).to_string()));
    }
    case.finally(last).into()
}

/// `COUNT(CASE WHEN cond THEN 1 END)`.
pub(super) fn count_if(cond: impl sea_orm::sea_query::IntoCondition) -> Expr {
    let case: Expr = Expr::case(cond, Expr::val(1)).into();
    Func::count(case).into()
}

pub(super) fn get(row: &QueryResult, col: &str) -> Result<i64, DbErr> {
    row.try_get::<Option<i64>>("", col).map(|v| v.unwrap_or(0))
}

/// What every query narrows to: the organisation, the period, the place.
pub(super) struct Scope {
    organisation_id: i32,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    place_id: Option<i32>,
    workshop_id: Option<i32>,
    motif_id: Option<i32>,
    month_starts: Vec<DateTime<Utc>>,
}

impl Scope {
    pub(super) fn new(filter: &StatsFilter, organisation_id: i32, tz: Tz) -> Scope {
        let (start, end) = filter.instants(tz);
        Scope {
            organisation_id,
            start,
            end,
            place_id: filter.place_id,
            workshop_id: filter.workshop_id,
            motif_id: filter.motif_id,
            month_starts: filter
                .months()
                .into_iter()
                .map(|m| Ord::max(start_of(m, tz), start))
                .collect(),
        }
    }

    /// Sessions of the period (not cancelled), narrowed by place and workshop.
    pub(super) fn sessions(&self, q: &mut SelectStatement) {
        q.and_where(Expr::col((session::Entity, session::Column::OrganisationId)).eq(self.organisation_id))
            .and_where(Expr::col((session::Entity, session::Column::Status)).eq(SessionStatus::Scheduled))
            .and_where(Expr::col((session::Entity, session::Column::StartsAt)).gte(self.start))
            .and_where(Expr::col((session::Entity, session::Column::StartsAt)).lt(self.end));
        if let Some(p) = self.place_id {
            q.and_where(Expr::col((session::Entity, session::Column::PlaceId)).eq(p));
        }
        if let Some(w) = self.workshop_id {
            q.and_where(Expr::col((session::Entity, session::Column::WorkshopId)).eq(w));
        }
    }

    /// Confirmed registrations of those sessions.
    pub(super) fn registrations(&self) -> SelectStatement {
        let mut q = Query::select();
        q.from(registration::Entity).inner_join(
            session::Entity,
            Expr::col((session::Entity, session::Column::Id))
                .equals((registration::Entity, registration::Column::SessionId)),
        );
        self.sessions(&mut q);
        q
    }

    /// Appointments of the period (every status), narrowed by place and reason.
    pub(super) fn appointments(&self) -> SelectStatement {
        let mut q = Query::select();
        q.from(appointment::Entity)
            .and_where(Expr::col((appointment::Entity, appointment::Column::OrganisationId)).eq(self.organisation_id))
            .and_where(Expr::col((appointment::Entity, appointment::Column::StartsAt)).gte(self.start))
            .and_where(Expr::col((appointment::Entity, appointment::Column::StartsAt)).lt(self.end));
        if let Some(p) = self.place_id {
            q.and_where(Expr::col((appointment::Entity, appointment::Column::PlaceId)).eq(p));
        }
        if let Some(m) = self.motif_id {
            q.and_where(Expr::col((appointment::Entity, appointment::Column::MotifId)).eq(m));
        }
        q
    }

    fn with_workshops(&self) -> bool {
        self.motif_id.is_none()
    }

    fn with_appointments(&self) -> bool {
        self.workshop_id.is_none()
    }
}

fn appointment_not_cancelled() -> Expr {
    Expr::col((appointment::Entity, appointment::Column::Status)).ne(AppointmentStatus::Cancelled)
}

fn registration_confirmed() -> Expr {
    Expr::col((registration::Entity, registration::Column::Status)).eq(RegistrationStatus::Confirmed)
}

/// The key a person is counted by: e-mail, else phone.
fn person(
    table: impl sea_orm::sea_query::IntoIden + Copy,
    email: impl sea_orm::sea_query::IntoIden,
    phone: impl sea_orm::sea_query::IntoIden,
) -> Expr {
    Func::coalesce([Expr::col((table, email)), Expr::col((table, phone))]).into()
}

/// The figures of `filter` for `organisation_id`, "now" being `now` (what is past).
pub async fn compute<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
    filter: &StatsFilter,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Statistics, DbErr> {
    let scope = Scope::new(filter, organisation_id, tz);
    let mut months: Vec<MonthFigures> = filter
        .months()
        .into_iter()
        .map(|m| MonthFigures {
            month: m.format("%Y-%m").to_string(),
            label: month_label(m),
            ..Default::default()
        })
        .collect();
    let mut w = WorkshopFigures::default();
    let mut a = AppointmentFigures::default();
    let month = |months: &mut Vec<MonthFigures>, row: &QueryResult| -> Result<usize, DbErr> {
        let i: i32 = row.try_get("", "bucket")?;
        Ok((Ord::max(i, 0) as usize).min(months.len() - 1))
    };

    // The queries run side by side (on separate pool connections), each a single scan.
    let backend = db.get_database_backend();
    let (workshops, appointments) = (scope.with_workshops(), scope.with_appointments());
    let (registration_rows, session_rows, appointment_rows, delay_rows, people, records) = tokio::try_join!(
        rows(db, workshops.then(|| registrations_query(&scope, now))),
        rows(db, workshops.then(|| sessions_query(&scope, now, backend))),
        rows(db, appointments.then(|| appointments_query(&scope, now))),
        rows(db, appointments.then(|| delays_query(&scope, backend))),
        distinct_people(db, &scope),
        crate::records::stats::summary(db, organisation_id, filter.from, filter.to, filter.place_id),
    )?;
    for row in registration_rows {
        let m = month(&mut months, &row)?;
        let (present, absent) = (get(&row, "present")?, get(&row, "absent")?);
        w.registrations += get(&row, "registrations")?;
        w.present += present;
        w.absent += absent;
        w.unmarked += get(&row, "unmarked")?;
        w.waitlisted += get(&row, "waitlisted")?;
        w.promotions += get(&row, "promotions")?;
        w.promotions_came += get(&row, "promotions_came")?;
        months[m].registrations += get(&row, "registrations")?;
        months[m].came += present;
        months[m].no_show += absent;
    }

    for row in session_rows {
        let m = month(&mut months, &row)?;
        w.sessions += get(&row, "sessions")?;
        w.sessions_held += get(&row, "held")?;
        let (offered, taken) = (get(&row, "offered")?, get(&row, "taken")?);
        w.seats_offered += offered;
        w.seats_taken += taken;
        months[m].seats_offered += offered;
        months[m].seats_taken += taken;
    }
    w.fill_rate = rate(w.seats_taken, w.seats_offered);
    w.attendance_rate = rate(w.present, w.present + w.absent);
    w.no_show_rate = rate(w.absent, w.present + w.absent);

    for row in appointment_rows {
        let m = month(&mut months, &row)?;
        let (honoured, no_show) = (get(&row, "honoured")?, get(&row, "no_show")?);
        a.booked += get(&row, "booked")?;
        a.honoured += honoured;
        a.no_show += no_show;
        a.excused += get(&row, "excused")?;
        a.cancelled += get(&row, "cancelled")?;
        a.unmarked += get(&row, "unmarked")?;
        months[m].appointments += get(&row, "booked")?;
        months[m].came += honoured;
        months[m].no_show += no_show;
    }
    let marked = a.honoured + a.no_show + a.excused;
    a.attendance_rate = rate(a.honoured, marked);
    a.no_show_rate = rate(a.no_show, marked);

    let mut delays = Vec::new();
    for row in delay_rows {
        delays.push((row.try_get::<i64>("", "days")?, get(&row, "n")?));
    }
    a.median_days_to_appointment = median(delays);

    let came = w.present + a.honoured;
    let marked = w.present + w.absent + a.honoured + a.no_show + a.excused;
    Ok(Statistics {
        from: filter.from,
        to: filter.to,
        bookings: w.registrations + a.booked,
        people,
        attendance_rate: rate(came, marked),
        no_show_rate: rate(w.absent + a.no_show, marked),
        workshops: w,
        appointments: a,
        months,
        themes_and_autonomy: Some(records.into()),
        survey: crate::survey::results::results(
            db,
            organisation_id,
            &filter.from.format("%Y-%m").to_string(),
            &filter.to.format("%Y-%m").to_string(),
            filter.place_id,
            filter.workshop_id,
            filter.motif_id,
        )
        .await?
        .map(SurveyFigures::from),
    })
}

/// Confirmed registrations, attendance and promotions, per month.
fn registrations_query(scope: &Scope, now: DateTime<Utc>) -> SelectStatement {
    let started = Expr::col((session::Entity, session::Column::StartsAt)).lt(now);
    let confirmed = registration_confirmed();
    let attendance = |v: Attendance| {
        Cond::all()
            .add(registration_confirmed())
            .add(started.clone())
            .add(Expr::col((registration::Entity, registration::Column::Attendance)).eq(v))
    };
    let promoted = Expr::col((registration::Entity, registration::Column::PromotedAt)).is_not_null();
    let mut q = scope.registrations();
    q.expr_as(
        month_bucket((session::Entity, session::Column::StartsAt), &scope.month_starts),
        "bucket",
    )
    .expr_as(count_if(confirmed.clone()), "registrations")
    .expr_as(count_if(attendance(Attendance::Present)), "present")
    .expr_as(count_if(attendance(Attendance::Absent)), "absent")
    .expr_as(count_if(attendance(Attendance::Unknown)), "unmarked")
    .expr_as(
        count_if(Expr::col((registration::Entity, registration::Column::Status)).eq(RegistrationStatus::Waitlisted)),
        "waitlisted",
    )
    .expr_as(
        count_if(Cond::all().add(promoted.clone()).add(confirmed.clone())),
        "promotions",
    )
    .expr_as(
        count_if(Cond::all().add(promoted).add(attendance(Attendance::Present))),
        "promotions_came",
    )
    .group_by_col("bucket");
    q
}

/// Sessions, sessions held and their seats, per month.
fn sessions_query(scope: &Scope, now: DateTime<Utc>, backend: DbBackend) -> SelectStatement {
    let held = Cond::all().add(Expr::col((session::Entity, session::Column::StartsAt)).lt(now));
    let mut q = Query::select();
    q.from(session::Entity);
    scope.sessions(&mut q);
    q.expr_as(
        month_bucket((session::Entity, session::Column::StartsAt), &scope.month_starts),
        "bucket",
    )
    .expr_as(
        Func::count(Expr::col((session::Entity, session::Column::Id))),
        "sessions",
    )
    .expr_as(count_if(held.clone()), "held")
    .expr_as(
        Func::sum(Into::<Expr>::into(
            Expr::case(held.clone(), Expr::col((session::Entity, session::Column::Capacity))).finally(0),
        ))
        .cast_as(Alias::new(int8(backend))),
        "offered",
    )
    .expr_as(
        Func::sum(Into::<Expr>::into(
            Expr::case(held, Expr::col((session::Entity, session::Column::SeatsTaken))).finally(0),
        ))
        .cast_as(Alias::new(int8(backend))),
        "taken",
    )
    .group_by_col("bucket");
    q
}

/// Appointments by status, per month.
fn appointments_query(scope: &Scope, now: DateTime<Utc>) -> SelectStatement {
    let status = |s: AppointmentStatus| Expr::col((appointment::Entity, appointment::Column::Status)).eq(s);
    let mut q = scope.appointments();
    q.expr_as(
        month_bucket(
            (appointment::Entity, appointment::Column::StartsAt),
            &scope.month_starts,
        ),
        "bucket",
    )
    .expr_as(count_if(appointment_not_cancelled()), "booked")
    .expr_as(count_if(status(AppointmentStatus::Honoured)), "honoured")
    .expr_as(count_if(status(AppointmentStatus::NoShow)), "no_show")
    .expr_as(count_if(status(AppointmentStatus::Excused)), "excused")
    .expr_as(count_if(status(AppointmentStatus::Cancelled)), "cancelled")
    .expr_as(
        count_if(
            Cond::all()
                .add(status(AppointmentStatus::Booked))
                .add(Expr::col((appointment::Entity, appointment::Column::StartsAt)).lt(now)),
        ),
        "unmarked",
    )
    .group_by_col("bucket");
    q
}

/// How many appointments were booked how many whole days ahead.
fn delays_query(scope: &Scope, backend: DbBackend) -> SelectStatement {
    let mut q = scope.appointments();
    q.and_where(appointment_not_cancelled())
        .expr_as(Expr::cust(days_between(backend)), "days")
        .expr_as(
            Func::count(Expr::col((appointment::Entity, appointment::Column::Id))),
            "n",
        )
        .group_by_col("days");
    q
}

/// The rows of `q`, or none when the filter leaves that part out.
async fn rows<C: ConnectionTrait>(db: &C, q: Option<SelectStatement>) -> Result<Vec<QueryResult>, DbErr> {
    match q {
        Some(q) => db.query_all(&q).await,
        None => Ok(Vec::new()),
    }
}

/// The integer type `SUM` is cast to, so both backends answer an `i64`.
fn int8(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "bigint",
        _ => "integer",
    }
}

/// Whole days from an appointment's booking to its start. A fixed text per backend (no
/// value of the request in it): SQLite has no interval type.
fn days_between(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => {
            r#"CAST(FLOOR(EXTRACT(EPOCH FROM ("appointment"."starts_at" - "appointment"."created_at")) / 86400) AS bigint)"#
        }
        _ => r#"CAST(julianday("appointment"."starts_at") - julianday("appointment"."created_at") AS integer)"#,
    }
}

/// The period's confirmed registrations, one row each: its `person` key, and as `grp` the
/// session's `group` column when one is given.
pub(super) fn registration_people(scope: &Scope, group: Option<session::Column>) -> SelectStatement {
    let mut q = scope.registrations();
    q.and_where(registration_confirmed()).expr_as(
        person(
            registration::Entity,
            registration::Column::EmailKey,
            registration::Column::PhoneKey,
        ),
        "person",
    );
    if let Some(g) = group {
        q.expr_as(Expr::col((session::Entity, g)), "grp");
    }
    q
}

/// The period's appointments not cancelled, one row each: `person`, and the place as `grp`
/// when `by_place`.
pub(super) fn appointment_people(scope: &Scope, by_place: bool) -> SelectStatement {
    let mut q = scope.appointments();
    q.and_where(appointment_not_cancelled()).expr_as(
        person(
            appointment::Entity,
            appointment::Column::EmailKey,
            appointment::Column::PhoneKey,
        ),
        "person",
    );
    if by_place {
        q.expr_as(Expr::col((appointment::Entity, appointment::Column::PlaceId)), "grp");
    }
    q
}

/// `people` (distinct) and `bookings` of a union of the selects above.
pub(super) fn people_and_bookings(bookings: SelectStatement) -> SelectStatement {
    Query::select()
        .expr_as(Func::count_distinct(Expr::col("person")), "people")
        .expr_as(Func::count(Expr::col("person")), "bookings")
        .from_subquery(bookings, "bookings")
        .to_owned()
}

/// The distinct people among the period's bookings (see the module's notes).
async fn distinct_people<C: ConnectionTrait>(db: &C, scope: &Scope) -> Result<i64, DbErr> {
    let mut parts = Vec::new();
    if scope.with_workshops() {
        parts.push(registration_people(scope, None));
    }
    if scope.with_appointments() {
        parts.push(appointment_people(scope, false));
    }
    let mut parts = parts.into_iter();
    let Some(mut union) = parts.next() else { return Ok(0) };
    for p in parts {
        union.union(UnionType::All, p);
    }
    match db.query_one(&people_and_bookings(union)).await? {
        Some(row) => get(&row, "people"),
        None => Ok(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_odd_count_is_the_middle_value() {
        assert_eq!(median(vec![(9, 1), (1, 1), (3, 1)]), Some(3.0));
        assert_eq!(median(vec![(2, 3), (40, 1)]), Some(2.0));
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_two_middle_values() {
        assert_eq!(median(vec![(1, 1), (4, 1)]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }

    #[test]
    fn a_rate_of_nothing_is_absent_rather_than_zero() {
        assert_eq!(rate(0, 0), None);
        assert_eq!(rate(1, 4), Some(0.25));
    }

    #[test]
    fn months_are_written_the_french_way() {
        assert_eq!(month_label(NaiveDate::from_ymd_opt(2027, 2, 1).unwrap()), "févr. 2027");
    }
}
