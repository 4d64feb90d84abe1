//! Dates and instants in page URLs and forms (`?jour=`, `?a_partir=`, a slot's `start`): an
//! accepted one lies within the product's years, leaves room for the pages' date arithmetic
//! (weeks and a year ahead), and an instant written back in a link reads back the same.
#![no_main]
use chrono::{Datelike, Duration, SubsecRound};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    let years = creneau::fuzzing::years();
    if let Some(day) = creneau::fuzzing::page_date(raw) {
        assert!(years.contains(&day.year()), "{raw:?} gave {day}");
        assert!(day.checked_add_signed(Duration::days(400)).is_some());
        assert!(day.checked_sub_signed(Duration::days(400)).is_some());
        let written = day.format("%Y-%m-%d").to_string();
        assert_eq!(creneau::fuzzing::page_date(&written), Some(day), "{raw:?}");
    }
    if let Some(at) = creneau::fuzzing::page_slot(raw) {
        assert!(years.contains(&at.year()), "{raw:?} gave {at}");
        assert!(at.checked_add_signed(Duration::days(400)).is_some());
        let link = creneau::fuzzing::slot_param(at);
        assert_eq!(creneau::fuzzing::page_slot(&link), Some(at.trunc_subsecs(0)), "{raw:?} → {link}");
    }
});
