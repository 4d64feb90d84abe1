//! A likely typo in the domain of a common e-mail provider ("gmial.com"): the address the
//! person probably meant, so the form can ask "Vouliez-vous dire …gmail.com ?" before a
//! confirmation is lost. Advice only: the person may keep what they typed.

/// Domains the residents use most, most used first (a tie goes to the first).
const COMMON: &[&str] = &[
    "gmail.com",
    "orange.fr",
    "hotmail.fr",
    "hotmail.com",
    "wanadoo.fr",
    "free.fr",
    "sfr.fr",
    "laposte.net",
    "yahoo.fr",
    "yahoo.com",
    "outlook.fr",
    "outlook.com",
    "live.fr",
    "icloud.com",
    "neuf.fr",
    "aol.com",
    "bbox.fr",
];

/// Real domains that are not the provider's mail domain, and the one people mean.
const MIXED_UP: &[(&str, &str)] = &[
    ("gmail.fr", "gmail.com"),
    ("orange.com", "orange.fr"),
    ("wanadoo.com", "wanadoo.fr"),
    ("free.com", "free.fr"),
    ("laposte.fr", "laposte.net"),
    ("sfr.com", "sfr.fr"),
];

/// Real domains one or two letters away from a common one: never "corrected".
const ALSO_REAL: &[&str] = &[
    "mail.com",
    "email.com",
    "gmx.fr",
    "gmx.com",
    "ymail.com",
    "msn.com",
    "me.com",
    "mac.com",
    "aol.fr",
    "live.com",
    "hotmail.be",
    "hotmail.ch",
    "outlook.be",
    "yahoo.be",
    "club-internet.fr",
    "numericable.fr",
    "cegetel.net",
    "nordnet.fr",
    "proton.me",
    "protonmail.com",
];

/// The address with the common domain it was probably meant to have, or `None` when the
/// domain is a common one, a known real one, or not close to any (at most one slip per
/// four letters, two at most: a missing, extra, wrong or swapped letter).
pub(crate) fn suggestion(email: &str) -> Option<String> {
    let (local, domain) = email.rsplit_once('@')?;
    let domain = domain.to_lowercase();
    if let Some((_, meant)) = MIXED_UP.iter().find(|(typed, _)| *typed == domain) {
        return Some(format!("{local}@{meant}"));
    }
    if COMMON.contains(&domain.as_str()) || ALSO_REAL.contains(&domain.as_str()) {
        return None;
    }
    let (best, distance) = COMMON
        .iter()
        .map(|c| (*c, distance(&domain, c)))
        .min_by_key(|(_, d)| *d)?;
    let allowed = (best.chars().count() / 4).clamp(1, 2);
    (distance <= allowed).then(|| format!("{local}@{best}"))
}

/// Edit distance counting a swap of two neighbouring letters as one slip (optimal string
/// alignment).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::suggestion;

    #[test]
    fn common_slips_in_a_known_domain_get_the_domain_meant() {
        for (typed, meant) in [
            ("josette@gmial.com", "josette@gmail.com"),
            ("josette@gmal.com", "josette@gmail.com"),
            ("josette@gmail.con", "josette@gmail.com"),
            ("josette@gmaill.com", "josette@gmail.com"),
            ("ahmed@hotmial.fr", "ahmed@hotmail.fr"),
            ("ahmed@hotmail.fe", "ahmed@hotmail.fr"),
            ("lucienne@ornage.fr", "lucienne@orange.fr"),
            ("lucienne@wanado.fr", "lucienne@wanadoo.fr"),
            ("marc@yaho.fr", "marc@yahoo.fr"),
            ("marc@laposte.ne", "marc@laposte.net"),
            ("marc@laposte.fr", "marc@laposte.net"),
            ("zoe@gmail.fr", "zoe@gmail.com"),
        ] {
            assert_eq!(suggestion(typed).as_deref(), Some(meant), "{typed}");
        }
    }

    #[test]
    fn a_known_domain_or_one_far_from_any_is_left_alone() {
        for fine in [
            "josette@gmail.com",
            "lucienne@orange.fr",
            "ahmed@hotmail.fr",
            "marc@free.fr",
            "jean@mail.com",
            "jean@gmx.fr",
            "jeanne.martin@exemple.fr",
            "accueil@ville-arles.fr",
            "a@b.fr",
            "pas-une-adresse",
        ] {
            assert_eq!(suggestion(fine), None, "{fine}");
        }
    }
}
