//! What the answers say, per period and group, shown only for groups of at least
//! [`THRESHOLD`] answers: below that, a few answers could point to the people who gave them.
use entities::survey_answer::{self, Smiley};
use entities::{motif, place, survey_sent, workshop};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// The fewest answers a result is shown for.
pub const THRESHOLD: u64 = 5;

/// The results of one group of answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    pub answers: u64,
    pub bad: u64,
    pub average: u64,
    pub good: u64,
    /// Mean of the clarity marks given (1 to 5), when any was.
    pub mean_clarity: Option<f64>,
    /// Invitations sent for the same months, place and subject.
    pub invitations: u64,
    /// `answers / invitations`, when any invitation was counted.
    pub response_rate: Option<f64>,
}

/// A month as written in the tables, `YYYY-MM`, from what a person typed.
pub fn parse_month(s: &str) -> Option<String> {
    let s = s.trim();
    let (y, m) = s.split_once('-')?;
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    ((2000..=2999).contains(&y) && (1..=12).contains(&m) && s.len() == 7).then(|| format!("{y:04}-{m:02}"))
}

/// The results of the answers of `organisation_id` filed from `from_month` to `to_month`
/// (both `YYYY-MM`, included), narrowed to a place, a workshop or a reason when given;
/// `None` under [`THRESHOLD`] answers.
pub async fn results<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
    from_month: &str,
    to_month: &str,
    place_id: Option<i32>,
    workshop_id: Option<i32>,
    motif_id: Option<i32>,
) -> Result<Option<Results>, DbErr> {
    let mut answers = survey_answer::Entity::find()
        .select_only()
        .column(survey_answer::Column::Smiley)
        .column(survey_answer::Column::Clarity)
        .filter(survey_answer::Column::OrganisationId.eq(organisation_id))
        .filter(survey_answer::Column::Month.gte(from_month))
        .filter(survey_answer::Column::Month.lte(to_month));
    let mut sent = survey_sent::Entity::find()
        .filter(survey_sent::Column::OrganisationId.eq(organisation_id))
        .filter(survey_sent::Column::Month.gte(from_month))
        .filter(survey_sent::Column::Month.lte(to_month));
    if let Some(p) = place_id {
        answers = answers.filter(survey_answer::Column::PlaceId.eq(p));
        sent = sent.filter(survey_sent::Column::PlaceId.eq(p));
    }
    if let Some(w) = workshop_id {
        answers = answers.filter(survey_answer::Column::WorkshopId.eq(w));
        sent = sent.filter(survey_sent::Column::WorkshopId.eq(w));
    }
    if let Some(m) = motif_id {
        answers = answers.filter(survey_answer::Column::MotifId.eq(m));
        sent = sent.filter(survey_sent::Column::MotifId.eq(m));
    }
    let rows: Vec<(Smiley, Option<i32>)> = answers.into_tuple().all(db).await?;
    let count = rows.len() as u64;
    if count < THRESHOLD {
        return Ok(None);
    }
    let smileys = |s: Smiley| rows.iter().filter(|(x, _)| *x == s).count() as u64;
    let marks: Vec<i32> = rows.iter().filter_map(|(_, c)| *c).collect();
    let mean_clarity = (!marks.is_empty()).then(|| marks.iter().sum::<i32>() as f64 / marks.len() as f64);
    let invitations: u64 = sent.all(db).await?.iter().map(|r| r.sent.max(0) as u64).sum();
    Ok(Some(Results {
        answers: count,
        bad: smileys(Smiley::Bad),
        average: smileys(Smiley::Average),
        good: smileys(Smiley::Good),
        mean_clarity,
        invitations,
        response_rate: (invitations > 0).then(|| count as f64 / invitations as f64),
    }))
}

/// What a group is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupKind {
    Place,
    Workshop,
    Motif,
}

/// One group of the period: a place, a workshop or a reason, and its results if shown.
#[derive(Debug, Clone)]
pub struct Group {
    pub kind: GroupKind,
    pub id: i32,
    pub name: String,
    pub results: Option<Results>,
}

/// Every place, workshop and reason that had invitations in the period, with its results.
pub async fn groups<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
    from_month: &str,
    to_month: &str,
) -> Result<Vec<Group>, DbErr> {
    let sent = survey_sent::Entity::find()
        .filter(survey_sent::Column::OrganisationId.eq(organisation_id))
        .filter(survey_sent::Column::Month.gte(from_month))
        .filter(survey_sent::Column::Month.lte(to_month))
        .all(db)
        .await?;
    let ids = |f: fn(&survey_sent::Model) -> Option<i32>| {
        let mut v: Vec<i32> = sent.iter().filter_map(f).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let mut out = Vec::new();
    let places = place::Entity::find()
        .filter(place::Column::OrganisationId.eq(organisation_id))
        .filter(place::Column::Id.is_in(ids(|r| Some(r.place_id))))
        .order_by_asc(place::Column::Name)
        .all(db)
        .await?;
    for p in places {
        let results = results(db, organisation_id, from_month, to_month, Some(p.id), None, None).await?;
        out.push(Group {
            kind: GroupKind::Place,
            id: p.id,
            name: p.name,
            results,
        });
    }
    let workshops = workshop::Entity::find()
        .filter(workshop::Column::OrganisationId.eq(organisation_id))
        .filter(workshop::Column::Id.is_in(ids(|r| r.workshop_id)))
        .order_by_asc(workshop::Column::Title)
        .all(db)
        .await?;
    for w in workshops {
        let results = results(db, organisation_id, from_month, to_month, None, Some(w.id), None).await?;
        out.push(Group {
            kind: GroupKind::Workshop,
            id: w.id,
            name: w.title,
            results,
        });
    }
    let motifs = motif::Entity::find()
        .filter(motif::Column::OrganisationId.eq(organisation_id))
        .filter(motif::Column::Id.is_in(ids(|r| r.motif_id)))
        .order_by_asc(motif::Column::Label)
        .all(db)
        .await?;
    for m in motifs {
        let results = results(db, organisation_id, from_month, to_month, None, None, Some(m.id)).await?;
        out.push(Group {
            kind: GroupKind::Motif,
            id: m.id,
            name: m.label,
            results,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_read_strictly() {
        assert_eq!(parse_month("2027-01").as_deref(), Some("2027-01"));
        assert_eq!(parse_month(" 2027-12 ").as_deref(), Some("2027-12"));
        for bad in ["2027-13", "2027-1", "27-01", "janvier", "2027-00", ""] {
            assert_eq!(parse_month(bad), None, "{bad}");
        }
    }
}
