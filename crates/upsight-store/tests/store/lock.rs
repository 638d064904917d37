//! The exclusive lock: one store per file, within a process and across processes.

use std::process::Command;

use upsight_store::{Store, StoreError};

use crate::support::{Exporter, names};

#[test]
fn second_open_in_the_same_process_is_locked() {
    let dir = tempfile::tempdir().unwrap();
    let (first, _) = Store::<Exporter>::open(dir.path(), "state").unwrap();

    let err = Store::<Exporter>::open(dir.path(), "state").unwrap_err();
    let StoreError::Locked { path } = &err else {
        panic!("expected Locked, got {err:?}");
    };
    assert_eq!(path, &dir.path().join("state.lock"));
    assert_eq!(path, first.lock_path());
    assert_eq!(err.exit_code(), 73);
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.contains("stop the other upsight instance"),
        "{message}"
    );
}

#[test]
fn lock_is_released_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::<Exporter>::open(dir.path(), "state").unwrap();
    store.save(&Exporter::sample()).unwrap();
    drop(store);

    let (_store, state) = Store::<Exporter>::open(dir.path(), "state").unwrap();
    assert_eq!(state, Exporter::sample());
    // The lock file stays: deleting it would let two processes lock two different inodes.
    assert_eq!(
        crate::support::listing(dir.path()),
        names(&["state.json", "state.lock"])
    );
}

#[test]
fn lock_survives_saves() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::<Exporter>::open(dir.path(), "state").unwrap();
    for _ in 0..3 {
        store.save(&Exporter::sample()).unwrap();
        let err = Store::<Exporter>::open(dir.path(), "state").unwrap_err();
        assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    }
}

#[test]
fn stores_with_different_names_are_independent() {
    let dir = tempfile::tempdir().unwrap();
    let (exporter, _) = Store::<Exporter>::open(dir.path(), "exporter").unwrap();
    let (fleet, _) = Store::<Exporter>::open(dir.path(), "fleet").unwrap();
    exporter.save(&Exporter::sample()).unwrap();
    fleet.save(&Exporter::default()).unwrap();
    assert_eq!(
        crate::support::listing(dir.path()),
        names(&["exporter.json", "exporter.lock", "fleet.json", "fleet.lock"])
    );
}

#[test]
fn another_process_holding_the_lock_is_respected() {
    // util-linux `flock` takes the same flock(2) lock std's `File::try_lock` uses: a lock held
    // by another process must stop `open`, and `open` must wait for nothing.
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("state.lock");
    std::fs::File::create(&lock).unwrap();
    // `-o`: flock itself holds the lock (not the command it runs), so killing it releases it.
    let mut holder = Command::new("flock")
        .args(["-n", "-o"])
        .arg(&lock)
        .args(["-c", "echo held; exec sleep 20"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("flock (util-linux) runs");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "held", "the other process holds the lock");
    let err = Store::<Exporter>::open(dir.path(), "state").unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    let _ = holder.kill();
    let _ = holder.wait();
    let _ = Command::new("pkill").args(["-f", "exec sleep 30"]).status();
    // Released with the other process: open succeeds now.
    let (_store, _) = Store::<Exporter>::open(dir.path(), "state").unwrap();
}
