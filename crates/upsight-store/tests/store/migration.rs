//! Migrations: one pure step per version, applied in order, written back only by `save`.

use std::cell::RefCell;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use upsight_store::{MigrationError, Schema, Store, StoreError, migrate_typed};

use crate::support::{fingerprint, listing, names, write_file};

thread_local! {
    /// The `from` of every migration step run on this thread (each test runs on its own).
    static STEPS: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

fn take_steps() -> Vec<u32> {
    STEPS.with_borrow_mut(std::mem::take)
}

/// v1: `{"name": "ups1", "watts": 5}`.
/// v2: the power in SI-named fields: `{"name": "ups1", "power_watts": 5}`.
/// v3: devices are a list, with an outage history: `{"devices": [{"name", "power_watts"}], "outages": []}`.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateV3 {
    devices: Vec<DeviceV3>,
    outages: Vec<u64>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceV3 {
    name: String,
    power_watts: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StateV2 {
    name: String,
    power_watts: f64,
}

impl From<StateV2> for StateV3 {
    fn from(v2: StateV2) -> Self {
        Self {
            devices: vec![DeviceV3 {
                name: v2.name,
                power_watts: v2.power_watts,
            }],
            outages: Vec::new(),
        }
    }
}

impl Schema for StateV3 {
    const NAME: &'static str = "test-migrating";
    const VERSION: u32 = 3;

    fn migrate(from: u32, data: Value) -> Result<Value, MigrationError> {
        STEPS.with_borrow_mut(|steps| steps.push(from));
        match from {
            1 => {
                let Value::Object(mut object) = data else {
                    return Err(MigrationError::invalid(from, "data is not an object"));
                };
                let watts = object
                    .remove("watts")
                    .ok_or_else(|| MigrationError::invalid(from, "missing watts"))?;
                object.insert("power_watts".to_owned(), watts);
                Ok(Value::Object(object))
            }
            2 => migrate_typed::<StateV2, StateV3>(from, data),
            _ => Err(MigrationError::Unsupported { from }),
        }
    }
}

fn expected() -> StateV3 {
    StateV3 {
        devices: vec![DeviceV3 {
            name: "ups1".to_owned(),
            power_watts: 5.0,
        }],
        outages: Vec::new(),
    }
}

const V1_FILE: &[u8] =
    br#"{"schema":"test-migrating","version":1,"saved_at":1700000000,"data":{"name":"ups1","watts":5}}"#;

#[test]
fn v1_migrates_to_v3_in_two_steps_and_is_rewritten_only_by_save() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    write_file(&path, V1_FILE);
    let before = fingerprint(&path);

    let (store, state) = Store::<StateV3>::open(dir.path(), "state").unwrap();
    assert_eq!(take_steps(), [1, 2]);
    assert_eq!(state, expected());
    assert_eq!(store.migrated_from(), Some(1));
    assert_eq!(
        fingerprint(&path),
        before,
        "open must not rewrite a migrated file"
    );

    store.save(&state).unwrap();
    store.save(&state).unwrap();
    assert_eq!(
        std::fs::read(dir.path().join("state.json.v1.bak")).unwrap(),
        V1_FILE
    );
    assert_eq!(
        listing(dir.path()),
        names(&["state.json", "state.json.v1.bak", "state.lock"])
    );
    drop(store);

    let (store, reloaded) = Store::<StateV3>::open(dir.path(), "state").unwrap();
    assert_eq!(
        take_steps(),
        Vec::<u32>::new(),
        "a v3 file needs no migration"
    );
    assert_eq!(store.migrated_from(), None);
    assert_eq!(reloaded, expected());
}

#[test]
fn v2_migrates_in_one_step() {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        &dir.path().join("state.json"),
        br#"{"schema":"test-migrating","version":2,"saved_at":"2025-01-01T00:00:00Z","data":{"name":"ups1","power_watts":5}}"#,
    );
    let (store, state) = Store::<StateV3>::open(dir.path(), "state").unwrap();
    assert_eq!(take_steps(), [2]);
    assert_eq!(state, expected());
    assert_eq!(store.migrated_from(), Some(2));
}

#[test]
fn failing_step_is_refused_and_leaves_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    write_file(
        &path,
        br#"{"schema":"test-migrating","version":1,"data":{"name":"ups1"}}"#,
    );
    let before = fingerprint(&path);

    let err = Store::<StateV3>::open(dir.path(), "state").unwrap_err();
    assert_eq!(take_steps(), [1]);
    let StoreError::Migration {
        from: 1,
        to: 2,
        source,
        ..
    } = &err
    else {
        panic!("expected Migration, got {err:?}");
    };
    assert_eq!(source, &MigrationError::invalid(1, "missing watts"));
    assert_eq!(err.exit_code(), 73);
    assert_eq!(fingerprint(&path), before);
}

#[test]
fn typed_step_rejects_bad_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    write_file(
        &path,
        br#"{"schema":"test-migrating","version":2,"data":{"name":7,"power_watts":5}}"#,
    );
    let before = fingerprint(&path);

    let err = Store::<StateV3>::open(dir.path(), "state").unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Migration {
                from: 2,
                to: 3,
                source: MigrationError::Invalid { from: 2, .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(fingerprint(&path), before);
}

/// A schema at version 2 that never defined a migration: the default `migrate` refuses.
#[derive(Debug, Default, Serialize, Deserialize)]
struct NoMigrations {
    value: u32,
}

impl Schema for NoMigrations {
    const NAME: &'static str = "test-no-migrations";
    const VERSION: u32 = 2;
}

#[test]
fn default_migrate_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    write_file(
        &path,
        &serde_json::to_vec(&json!({
            "schema": "test-no-migrations", "version": 1, "data": { "value": 1 }
        }))
        .unwrap(),
    );
    let before = fingerprint(&path);

    let err = Store::<NoMigrations>::open(dir.path(), "state").unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Migration {
                from: 1,
                to: 2,
                source: MigrationError::Unsupported { from: 1 },
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(fingerprint(&path), before);
}
