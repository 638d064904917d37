//! Properties: hostile bytes never panic and never change the file; state round-trips exactly.

use proptest::prelude::*;
use upsight_store::Store;

use crate::support::{Exporter, fingerprint, write_file};

const VALID: &[u8] = br#"{"schema":"test-exporter","version":1,"saved_at":"2025-11-22T16:05:00Z","data":{"events":[{"at_unix_seconds":1,"kind":"on battery"}],"energy_watt_hours":1.5,"devices":{"a":"b"}}}"#;

/// Opens a store over `bytes` and checks the file is unchanged, whatever the outcome.
fn open_leaves_file_untouched(bytes: &[u8]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().expect("create a temp dir");
    let path = dir.path().join("state.json");
    write_file(&path, bytes);
    let before = fingerprint(&path);
    let result = Store::<Exporter>::open(dir.path(), "state");
    if let Err(err) = &result {
        prop_assert_eq!(err.exit_code(), 73, "{:?}", err);
    }
    drop(result);
    prop_assert_eq!(fingerprint(&path), before);
    Ok(())
}

fn mutated_valid() -> impl Strategy<Value = Vec<u8>> {
    (0..VALID.len(), any::<u8>(), 0..=VALID.len()).prop_map(|(at, byte, keep)| {
        let mut bytes = VALID.to_vec();
        bytes[at] = byte;
        bytes.truncate(keep.max(at + 1));
        bytes
    })
}

proptest! {
    #[test]
    fn random_bytes_never_panic_or_change_the_file(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        open_leaves_file_untouched(&bytes)?;
    }

    #[test]
    fn mutated_valid_files_never_panic_or_change_the_file(bytes in mutated_valid()) {
        open_leaves_file_untouched(&bytes)?;
    }

    #[test]
    fn state_round_trips_exactly(
        energy in any::<f64>().prop_filter("finite", |x| x.is_finite()),
        kinds in proptest::collection::vec(any::<String>(), 0..4),
        at in any::<u64>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let state = Exporter {
            events: kinds
                .into_iter()
                .map(|kind| crate::support::Event { at_unix_seconds: at, kind })
                .collect(),
            energy_watt_hours: energy,
            devices: Default::default(),
        };
        let (store, _) = Store::<Exporter>::open(dir.path(), "state").unwrap();
        store.save(&state).unwrap();
        drop(store);
        let (_store, loaded) = Store::<Exporter>::open(dir.path(), "state").unwrap();
        prop_assert_eq!(loaded.energy_watt_hours.to_bits(), energy.to_bits());
        prop_assert_eq!(loaded, state);
    }
}
