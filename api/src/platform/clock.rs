//! The one source of "now". Tests set it; nothing in the service reads the wall clock directly,
//! so no test ever sleeps for time to pass.
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, SubsecRound, Utc};

#[derive(Clone, Debug, Default)]
pub struct Clock {
    fixed: Option<Arc<Mutex<DateTime<Utc>>>>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock { fixed: None }
    }

    /// A clock that stays at `at` until moved with [`Clock::set`] or [`Clock::advance`].
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock {
            fixed: Some(Arc::new(Mutex::new(at))),
        }
    }

    /// Now, to the whole second: stored times compare the same way on SQLite (text) and
    /// PostgreSQL (timestamptz) only when none carries a fraction.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.fixed {
            Some(at) => *at.lock().expect("clock poisoned"),
            None => Utc::now().trunc_subsecs(0),
        }
    }

    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(fixed) = &self.fixed {
            *fixed.lock().expect("clock poisoned") = at.trunc_subsecs(0);
        }
    }

    pub fn advance(&self, by: Duration) {
        if let Some(fixed) = &self.fixed {
            let mut at = fixed.lock().expect("clock poisoned");
            *at += by;
        }
    }
}
