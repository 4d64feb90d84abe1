//! The outbox worker. (Delivery lands with the notifications work; until then it idles.)
use crate::state::AppState;

pub async fn run_until(_state: AppState, shutdown: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
    shutdown.await;
    Ok(())
}
