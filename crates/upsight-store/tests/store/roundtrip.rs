//! Saving and loading: defaults, round trips, the file's shape, permissions, no leftovers.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::Value;
use upsight_store::Store;

use crate::support::{Exporter, listing, names};

#[test]
fn missing_file_loads_the_default_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (store, state) = Store::<Exporter>::open(dir.path(), "state").unwrap();
    assert_eq!(state, Exporter::default());
    assert_eq!(store.path(), dir.path().join("state.json"));
    assert_eq!(store.dir(), dir.path());
    assert_eq!(store.migrated_from(), None);
    assert!(store.removed_temp_files().is_empty());
    assert_eq!(listing(dir.path()), names(&["state.lock"]));
}

#[test]
fn saved_state_loads_back_equal() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::<Exporter>::open(dir.path(), "state").unwrap();
    store.save(&Exporter::default()).unwrap();
    store.save(&Exporter::sample()).unwrap();
    drop(store);

    let (_store, state) = Store::<Exporter>::open(dir.path(), "state").unwrap();
    assert_eq!(state, Exporter::sample());
}

#[test]
fn file_is_a_readable_envelope() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::<Exporter>::open(dir.path(), "state").unwrap();
    store.save(&Exporter::sample()).unwrap();

    let text = std::fs::read_to_string(store.path()).unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    let keys: BTreeSet<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from(["data", "saved_at", "schema", "version"])
    );
    assert_eq!(value["schema"], "test-exporter");
    assert_eq!(value["version"], 1);
    assert_eq!(value["data"]["devices"]["rack-a"], "nut://10.0.0.5");
    let saved_at = value["saved_at"].as_str().unwrap();
    assert_eq!(saved_at.len(), "2025-11-22T16:05:00Z".len(), "{saved_at}");
    assert!(
        saved_at.ends_with('Z') && saved_at.as_bytes()[10] == b'T',
        "{saved_at}"
    );
    assert!(
        text.starts_with("{\"schema\":\"test-exporter\",\"version\":1,") && text.ends_with("}\n"),
        "compact, one line, header first: {text}"
    );
    assert_eq!(text.lines().count(), 1, "{text}");
}

#[test]
fn save_leaves_no_temp_files() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::<Exporter>::open(dir.path(), "state").unwrap();
    for _ in 0..5 {
        store.save(&Exporter::sample()).unwrap();
    }
    assert_eq!(listing(dir.path()), names(&["state.json", "state.lock"]));
}

#[test]
fn concurrent_saves_leave_one_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::<Exporter>::open(dir.path(), "state").unwrap();
    let store = Arc::new(store);
    let threads: Vec<_> = (0..8_u64)
        .map(|i| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let mut state = Exporter::sample();
                state.energy_watt_hours = f64::from(u32::try_from(i).unwrap());
                for _ in 0..10 {
                    store.save(&state).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(listing(dir.path()), names(&["state.json", "state.lock"]));
    drop(store);
    let (_store, state) = Store::<Exporter>::open(dir.path(), "state").unwrap();
    assert!((0.0..8.0).contains(&state.energy_watt_hours));
}

#[cfg(unix)]
#[test]
fn creates_a_private_directory_and_private_files() {
    use std::os::unix::fs::PermissionsExt as _;

    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("var/lib/upsight");
    let (store, _) = Store::<Exporter>::open(&dir, "state").unwrap();
    store.save(&Exporter::sample()).unwrap();

    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&root.path().join("var")), 0o700);
    assert_eq!(mode(store.path()), 0o600);
    assert_eq!(mode(store.lock_path()), 0o600);
}

#[test]
fn debug_names_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::<Exporter>::open(dir.path(), "state").unwrap();
    let debug = format!("{store:?}");
    assert!(
        debug.contains("state.json") && debug.contains("state.lock"),
        "{debug}"
    );
    assert!(debug.contains("Exporter"), "{debug}");
}
