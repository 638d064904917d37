//! Fuzz target `state_loader`: a corrupt, hand-edited or hostile state file.
//!
//! The bytes are written as the file and loaded through the real path, `Store::open` (lock,
//! stale temp cleanup, bounded read, envelope check, migrations, typed decode), once as the
//! fleet plane's `fleet.json` (`FleetState`) and once as the exporter's `exporter.json`
//! (`ExporterState`). The store has no bytes-level entry point, so the file lives in a
//! private directory, on tmpfs (`/dev/shm`) where there is one so the fsyncs of a save cost
//! nothing.
//!
//! A refused file is an operator error (exit code 73), never a panic, and is left
//! byte-for-byte untouched. A loaded state saves, and loads back equal. A fleet state also
//! becomes a live registry (the plane's start-up path) that hands a new member a number no
//! member of that group had, and the state saved from that registry loads back equal. An
//! exporter state also becomes a `Tracker` (the exporter's start-up path) that can be read.

#![no_main]

use std::fs::File;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use upsight_exporter::Tracker;
use upsight_exporter::tracker::ExporterState;
use upsight_fleet::{FleetState, RegisterError, RegistryConfig};
use upsight_model::{MemberId, RegisterRequestV1, Version};
use upsight_store::{EXIT_CANT_CREATE, Schema, Store};

/// This process's state directory; directories of earlier runs whose process is gone are
/// removed first, so repeated runs do not pile up.
static DIR: LazyLock<PathBuf> = LazyLock::new(|| {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_owned()
    } else {
        std::env::temp_dir()
    };
    let prefix = "upsight-fuzz-state-";
    for entry in std::fs::read_dir(&base).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix(prefix)
            && !Path::new("/proc").join(pid).exists()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    let dir = base.join(format!("{prefix}{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a private state directory");
    dir
});

fuzz_target!(|data: &[u8]| {
    if let Some(state) = load::<FleetState>(data, "fleet") {
        check_fleet(state);
    }
    if let Some(state) = load::<ExporterState>(data, "exporter") {
        check_exporter(state);
    }
});

/// Writes `data` as `<name>.json`, opens it; a loaded state is saved and must load back equal
/// (compared as JSON, which `ExporterState` has no `PartialEq` for).
fn load<S: Schema>(data: &[u8], name: &str) -> Option<S> {
    let dir = DIR.as_path();
    let path = dir.join(format!("{name}.json"));
    let mut file = File::create(&path).expect("the state file can be written");
    file.write_all(data).expect("the state file can be written");
    drop(file);
    let (store, state) = match Store::<S>::open(dir, name) {
        Ok(opened) => opened,
        Err(e) => {
            assert_eq!(e.exit_code(), EXIT_CANT_CREATE, "{e:#?}");
            let after = std::fs::read(&path).expect("the refused file is still there");
            assert!(after == data, "a refused file was changed: {e}");
            return None;
        }
    };
    store
        .save(&state)
        .unwrap_or_else(|e| panic!("a loaded state does not save: {e}"));
    drop(store);
    let (store, again) =
        Store::<S>::open(dir, name).unwrap_or_else(|e| panic!("a saved state does not load: {e}"));
    assert_eq!(store.migrated_from(), None, "a saved file is current");
    assert_eq!(
        json(&again),
        json(&state),
        "save and load changed the state"
    );
    Some(state)
}

fn json<S: serde::Serialize>(state: &S) -> serde_json::Value {
    serde_json::to_value(state).expect("a state serializes")
}

fn check_fleet(state: FleetState) {
    let (mut registry, key) = state
        .into_registry(RegistryConfig::default())
        .expect("a loaded state becomes a registry");
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    let newcomer: MemberId = "fuzz-newcomer-0".parse().expect("a valid identity");
    let groups: Vec<_> = registry
        .fleet(now)
        .groups
        .into_iter()
        .map(|g| g.group)
        .collect();
    if let Some(group) = groups.into_iter().next() {
        let numbers = registry.numbers(&group);
        if !numbers.contains_key(&newcomer) {
            let request = RegisterRequestV1 {
                version: Version,
                identity: newcomer,
                group,
                software_version: "0.1.0".to_owned(),
                scrape_target: None,
                lease: None,
            };
            let peer = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
            match registry.register(&request, peer, now, &key) {
                Ok(registration) => {
                    let number = registration.response.member_number;
                    assert!(
                        numbers.values().all(|&n| n != number),
                        "number {number} handed out twice"
                    );
                }
                Err(RegisterError::Full { .. } | RegisterError::NumbersExhausted { .. }) => {}
                Err(e) => panic!("a new member is refused: {e}"),
            }
        }
    }
    let saved = FleetState::of(&registry, &key);
    let wire = serde_json::to_vec(&saved).expect("the state serializes");
    let loaded: FleetState = serde_json::from_slice(&wire).expect("the state reads back");
    assert_eq!(loaded, saved);
}

fn check_exporter(state: ExporterState) {
    let tracker = Tracker::new(state, Duration::from_secs(5));
    let _ = tracker.counters();
    let _ = tracker.events(None, 1000);
    let _ = tracker.outages(None);
}
