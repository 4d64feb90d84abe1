//! The count of calls to make, shown in the console's menu on every page: one COUNT query
//! with two `NOT EXISTS` per page otherwise. It is kept per organisation for a few seconds of
//! the service clock, and dropped as soon as this instance finishes any write (the read
//! cache's count of writes, see `platform::read_cache`), so whoever records a call or
//! cancels a session sees the count move on their next page. A change this instance did not
//! make (another instance, the worker finding that a message failed) shows within
//! [`FRESH_SECONDS`].
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use sea_orm::{ConnectionTrait, DbErr};

use crate::platform::{clock::Clock, read_cache::ReadCache};

/// How long a count is shown without asking the database again.
pub(crate) const FRESH_SECONDS: i64 = 5;

#[derive(Clone, Copy)]
struct Kept {
    second: i64,
    writes: u64,
    count: u64,
}

pub(crate) struct MenuCounts {
    writes: ReadCache,
    clock: Clock,
    kept: Mutex<HashMap<i32, Kept>>,
}

impl MenuCounts {
    pub(crate) fn new(writes: ReadCache, clock: Clock) -> Arc<MenuCounts> {
        Arc::new(MenuCounts {
            writes,
            clock,
            kept: Mutex::default(),
        })
    }

    /// The organisation's count, kept or counted now.
    pub(crate) async fn get<C: ConnectionTrait>(&self, db: &C, organisation_id: i32) -> Result<u64, DbErr> {
        let second = self.clock.now().timestamp();
        // Read before counting: a write that lands meanwhile makes this count unusable later.
        let writes = self.writes.writes_seen();
        let kept = self
            .kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&organisation_id)
            .copied();
        if let Some(k) = kept
            && k.writes == writes
            && (0..FRESH_SECONDS).contains(&(second - k.second))
        {
            return Ok(k.count);
        }
        self.refresh(db, organisation_id).await
    }

    /// Counts now and keeps the result (the calls page itself always counts: its list and its
    /// menu must agree).
    pub(crate) async fn refresh<C: ConnectionTrait>(&self, db: &C, organisation_id: i32) -> Result<u64, DbErr> {
        let second = self.clock.now().timestamp();
        let writes = self.writes.writes_seen();
        let count = super::queries::count_due(db, organisation_id).await?;
        self.kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(organisation_id, Kept { second, writes, count });
        Ok(count)
    }
}
