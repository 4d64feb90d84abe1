//! The monthly budget of SMS segments of an organisation (unset: no limit).
//!
//! Segments are counted per organisation and calendar month of its zone in `sms_usage`. With
//! a budget, the worker reserves a message's segments before handing it to the gateway, in
//! one conditional upsert (`… DO UPDATE SET segments = segments + n WHERE segments + n <=
//! budget`): the row lock of that statement (PostgreSQL) or the database's write lock
//! (SQLite) makes two workers unable to both take the last segments. A send that fails gives
//! its segments back, so the counter holds what was handed to the gateway; a worker that dies
//! between the reservation and the send leaves its segments counted (the budget errs on the
//! side of the town's bill). Without a budget nothing is reserved: the segments are added
//! when the results are recorded, in the same group commit, so unlimited organisations pay
//! no write per message.
//!
//! A message that does not fit is not sent: its row ends `over_budget` and, when its event had
//! to reach the person, they are on the calls list with the reason.
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use entities::{organisation, sms_usage};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QuerySelect, Statement, Value,
    sea_query::{Expr, ExprTrait},
};

use crate::{french, platform::time::parse_tz};

/// Why a message stopped by the budget was not sent (kept on its row).
pub(crate) const STOPPED: &str = "budget SMS du mois atteint";

/// A calendar month in the organisation's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// The month `at` falls in, in `tz`.
    pub fn of(tz: Tz, at: DateTime<Utc>) -> Month {
        let local = at.with_timezone(&tz);
        Month {
            year: local.year(),
            month: local.month(),
        }
    }

    /// `2027-01`, the counter's key.
    pub fn key(&self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// The first day of the next month: when the count starts again.
    pub fn next_start(&self) -> NaiveDate {
        let (year, month) = if self.month == 12 {
            (self.year + 1, 1)
        } else {
            (self.year, self.month + 1)
        };
        NaiveDate::from_ymd_opt(year, month, 1).expect("the first of a month exists")
    }
}

/// Whether `segments` more stay within `budget` once `used` are spent (no budget: always).
pub fn fits(budget: Option<i32>, used: i32, segments: i32) -> bool {
    budget.is_none_or(|b| i64::from(used) + i64::from(segments) <= i64::from(b))
}

/// An organisation's use of SMS in the current month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    pub month: Month,
    pub used: i32,
    pub budget: Option<i32>,
}

impl Usage {
    /// No SMS can go before the next month.
    pub fn reached(&self) -> bool {
        !fits(self.budget, self.used, 1)
    }

    /// "312 segments sur 500 ce mois-ci", or without a budget "312 segments ce mois-ci (pas de
    /// limite)".
    pub fn summary(&self) -> String {
        let n = format!(
            "{} segment{}",
            self.used,
            french::plural(usize::try_from(self.used).unwrap_or(0))
        );
        match self.budget {
            Some(b) => format!("{n} sur {b} ce mois-ci"),
            None => format!("{n} ce mois-ci (pas de limite)"),
        }
    }

    /// The warning shown once the budget is reached.
    pub fn warning(&self) -> Option<String> {
        self.reached().then(|| {
            let next = self.month.next_start();
            format!(
                "Le budget SMS du mois est atteint. Les SMS sont arrêtés jusqu'au 1er {} : les personnes à \
                 prévenir sont dans « À appeler ».",
                french::month(next.month())
            )
        })
    }
}

/// What a reservation came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reservation {
    /// The segments are counted in this month: give them back if the send fails.
    Reserved(Month),
    /// No budget: nothing to reserve; the segments are counted with the send's result, in
    /// the worker's group commit (no write of its own per message).
    Unlimited(Month),
    /// They would pass the budget: the message must not go.
    OverBudget,
}

/// Segments to add to a month's counter once the sends are recorded (see
/// [`Reservation::Unlimited`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segments {
    pub organisation_id: i32,
    pub month: String,
    pub segments: i32,
}

/// Counts `segments` for the organisation in the month of `now`, unless that would pass its
/// budget: one statement, so concurrent workers cannot both take the last segments.
pub(crate) async fn reserve<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
    now: DateTime<Utc>,
    segments: i32,
) -> Result<Reservation, DbErr> {
    let (timezone, budget) = organisation::Entity::find_by_id(organisation_id)
        .select_only()
        .column(organisation::Column::Timezone)
        .column(organisation::Column::SmsMonthlyBudget)
        .into_tuple::<(String, Option<i32>)>()
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("organisation {organisation_id}")))?;
    let month = Month::of(parse_tz(&timezone), now);
    let Some(budget) = budget else {
        return Ok(Reservation::Unlimited(month));
    };
    if !fits(Some(budget), 0, segments) {
        return Ok(Reservation::OverBudget);
    }
    Ok(
        if add(db, organisation_id, &month.key(), segments, Some(budget)).await? {
            Reservation::Reserved(month)
        } else {
            Reservation::OverBudget
        },
    )
}

/// Adds the segments of messages sent without a reservation (several per organisation and
/// month summed into one statement).
pub(crate) async fn count_sent<C: ConnectionTrait>(db: &C, sent: &[Segments]) -> Result<(), DbErr> {
    let mut sums: Vec<Segments> = Vec::new();
    for s in sent {
        match sums
            .iter_mut()
            .find(|t| t.organisation_id == s.organisation_id && t.month == s.month)
        {
            Some(t) => t.segments += s.segments,
            None => sums.push(s.clone()),
        }
    }
    for s in sums {
        add(db, s.organisation_id, &s.month, s.segments, None).await?;
    }
    Ok(())
}

/// `segments` more in the counter of (organisation, month), only while they stay within
/// `budget`; answers whether they were added.
async fn add<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
    month: &str,
    segments: i32,
    budget: Option<i32>,
) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let p = |i: usize| match backend {
        DbBackend::Postgres => format!("${i}"),
        _ => format!("?{i}"),
    };
    let mut sql = format!(
        "INSERT INTO sms_usage (organisation_id, month, segments) VALUES ({}, {}, {}) \
         ON CONFLICT (organisation_id, month) DO UPDATE SET segments = sms_usage.segments + excluded.segments",
        p(1),
        p(2),
        p(3)
    );
    let mut values = vec![Value::from(organisation_id), Value::from(month), Value::from(segments)];
    if let Some(budget) = budget {
        sql.push_str(&format!(" WHERE sms_usage.segments + excluded.segments <= {}", p(4)));
        values.push(Value::from(budget));
    }
    let done = db
        .execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives back the segments of a message the gateway did not take.
pub(crate) async fn release<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
    month: Month,
    segments: i32,
) -> Result<(), DbErr> {
    sms_usage::Entity::update_many()
        .col_expr(
            sms_usage::Column::Segments,
            Expr::col(sms_usage::Column::Segments).sub(segments),
        )
        .filter(sms_usage::Column::OrganisationId.eq(organisation_id))
        .filter(sms_usage::Column::Month.eq(month.key()))
        .exec(db)
        .await?;
    Ok(())
}

/// The organisation's use of SMS in the month of `now`, in its zone.
pub async fn usage<C: ConnectionTrait>(db: &C, org: &organisation::Model, now: DateTime<Utc>) -> Result<Usage, DbErr> {
    let month = Month::of(parse_tz(&org.timezone), now);
    let used = sms_usage::Entity::find_by_id((org.id, month.key()))
        .one(db)
        .await?
        .map_or(0, |u| u.segments);
    Ok(Usage {
        month,
        used,
        budget: org.sms_monthly_budget,
    })
}

/// Per organisation: (id, segments handed to the gateway since the start, this month's use).
/// The counter rows are one per organisation and month: summed here rather than in SQL.
pub(crate) async fn every_organisation<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> Result<Vec<(i32, i64, Usage)>, DbErr> {
    let counters = sms_usage::Entity::find().all(db).await?;
    let mut out = Vec::new();
    for org in organisation::Entity::find().all(db).await? {
        let month = Month::of(parse_tz(&org.timezone), now);
        let key = month.key();
        let mine = counters.iter().filter(|c| c.organisation_id == org.id);
        let total: i64 = mine.clone().map(|c| i64::from(c.segments)).sum();
        let used = mine.filter(|c| c.month == key).map(|c| c.segments).sum();
        let usage = Usage {
            month,
            used,
            budget: org.sms_monthly_budget,
        };
        out.push((org.id, total, usage));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_month_is_the_organisation_s_so_new_year_s_eve_at_midnight_in_paris_is_january() {
        let at = Utc.with_ymd_and_hms(2026, 12, 31, 23, 30, 0).unwrap();
        assert_eq!(Month::of(chrono_tz::Europe::Paris, at).key(), "2027-01");
        assert_eq!(Month::of(chrono_tz::UTC, at).key(), "2026-12");
        assert_eq!(
            Month::of(chrono_tz::UTC, at).next_start(),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
    }

    #[test]
    fn a_message_fits_while_the_budget_is_not_passed_and_always_without_one() {
        assert!(fits(Some(500), 498, 2));
        assert!(!fits(Some(500), 499, 2));
        assert!(fits(None, i32::MAX, 2));
        assert!(!fits(Some(0), 0, 1));
    }

    #[test]
    fn the_console_says_the_use_and_once_reached_until_when_sms_stop() {
        let month = Month { year: 2027, month: 1 };
        let u = Usage {
            month,
            used: 312,
            budget: Some(500),
        };
        assert_eq!(u.summary(), "312 segments sur 500 ce mois-ci");
        assert_eq!(u.warning(), None);
        let full = Usage { used: 500, ..u };
        assert_eq!(
            full.warning().unwrap(),
            "Le budget SMS du mois est atteint. Les SMS sont arrêtés jusqu'au 1er février : les personnes à \
             prévenir sont dans « À appeler »."
        );
        let free = Usage {
            month,
            used: 1,
            budget: None,
        };
        assert_eq!(free.summary(), "1 segment ce mois-ci (pas de limite)");
        assert_eq!(free.warning(), None);
    }
}
