//! Saves the tracker's state off the polling path: changes are coalesced for a short window,
//! then written atomically (`upsight-store`: temp file, fsync, rename, fsync dir) on a blocking
//! thread. A final save runs at shutdown. A failed save is logged and retried with the next
//! change; the previous file stays intact.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use upsight_store::Store;

use super::{ExporterState, Tracker};

/// At most one save per window: what kill -9 can lose is at most this much history.
pub const FLUSH_WINDOW: Duration = Duration::from_secs(1);

/// Saves `tracker`'s state into `store` whenever it changes, until `cancel` fires, then once
/// more.
pub async fn run(tracker: Tracker, store: Arc<Store<ExporterState>>, cancel: CancellationToken) {
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tracker.changed() => {}
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(FLUSH_WINDOW) => {}
        }
        save(&tracker, &store).await;
    }
    save(&tracker, &store).await;
}

async fn save(tracker: &Tracker, store: &Arc<Store<ExporterState>>) {
    let state = tracker.snapshot_state();
    let store = Arc::clone(store);
    match tokio::task::spawn_blocking(move || store.save(&state)).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            tracing::error!(error = %error, "Saving the state file failed; the previous file is kept.")
        }
        Err(error) => tracing::error!(%error, "The state-saving task failed."),
    }
}
