//! Saves the tracker's state off the polling path: at most one save per window (the first
//! change after a quiet window is saved at once, later ones coalesce until the window since the
//! last copy ends), written atomically (`upsight-store`: temp file, fsync, rename, fsync dir) on a blocking
//! thread. A final save runs at shutdown. A failed save is logged and retried with the next
//! change; the previous file stays intact.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use upsight_store::Store;

use super::seal::StateKey;
use super::{ExporterState, Tracker};

/// At most one save per window: what kill -9 can lose is the changes of the last window plus
/// the time one save takes (milliseconds on an idle disk).
pub const FLUSH_WINDOW: Duration = Duration::from_secs(1);

/// Saves `tracker`'s state into `store` whenever it changes, until `cancel` fires, then once
/// more.
/// Secrets added through the API are sealed with `key` in the saved copy ([`super::seal`]).
pub async fn run(
    tracker: Tracker,
    store: Arc<Store<ExporterState>>,
    key: Option<Arc<StateKey>>,
    cancel: CancellationToken,
) {
    // When the last copy was taken. The window runs from it, not from when a change is first
    // noticed: a change made while a save is running is then in the next copy no later than
    // one window after it was made, however long the save took.
    let mut last_copy: Option<Instant> = None;
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tracker.changed() => {}
        }
        if let Some(due) = last_copy.map(|at| at + FLUSH_WINDOW) {
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep_until(due) => {}
            }
        }
        last_copy = Some(Instant::now());
        save(&tracker, &store, key.as_deref()).await;
    }
    save(&tracker, &store, key.as_deref()).await;
}

async fn save(tracker: &Tracker, store: &Arc<Store<ExporterState>>, key: Option<&StateKey>) {
    let started = std::time::Instant::now();
    let mut state = tracker.snapshot_state();
    if let Err(error) = super::seal::seal(&mut state, key) {
        tracing::error!(%error, "Sealing the state's secrets failed; the previous file is kept.");
        return;
    }
    let store = Arc::clone(store);
    match tokio::task::spawn_blocking(move || store.save(&state)).await {
        Ok(Ok(())) => tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "State saved."
        ),
        Ok(Err(error)) => {
            // The cause ("No space left on device") is the source, not in the message.
            let cause = std::error::Error::source(&error).map(ToString::to_string);
            tracing::error!(error = %error, cause, "Saving the state file failed; the previous file is kept.");
        }
        Err(error) => tracing::error!(%error, "The state-saving task failed."),
    }
}
