//! Test state types and file helpers shared by the integration tests.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::Write as _;
use std::path::Path;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use upsight_store::Schema;

/// A state shaped like the exporter's: events, energy, runtime-added devices.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Exporter {
    pub(crate) events: Vec<Event>,
    pub(crate) energy_watt_hours: f64,
    pub(crate) devices: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Event {
    pub(crate) at_unix_seconds: u64,
    pub(crate) kind: String,
}

impl Schema for Exporter {
    const NAME: &'static str = "test-exporter";
    const VERSION: u32 = 1;
}

impl Exporter {
    pub(crate) fn sample() -> Self {
        Self {
            events: vec![
                Event {
                    at_unix_seconds: 1_700_000_000,
                    kind: "on battery".to_owned(),
                },
                Event {
                    at_unix_seconds: 1_700_000_300,
                    kind: "on line \"quoted\" ✓".to_owned(),
                },
            ],
            energy_watt_hours: 12_345.678_9,
            devices: BTreeMap::from([("rack-a".to_owned(), "nut://10.0.0.5".to_owned())]),
        }
    }
}

/// Writes `bytes` to `path` (tests build hostile files; `std::fs::write` is banned crate-wide).
pub(crate) fn write_file(path: &Path, bytes: &[u8]) {
    let mut file = File::create(path).expect("create the test file");
    file.write_all(bytes).expect("write the test file");
    file.sync_all().expect("sync the test file");
}

/// Everything about a file that a rewrite, rename or truncation would change.
#[derive(Debug, PartialEq)]
pub(crate) struct Fingerprint {
    bytes: Vec<u8>,
    modified: SystemTime,
    #[cfg(unix)]
    inode: u64,
}

pub(crate) fn fingerprint(path: &Path) -> Fingerprint {
    let metadata = fs::metadata(path).expect("stat the fingerprinted file");
    Fingerprint {
        bytes: fs::read(path).expect("read the fingerprinted file"),
        modified: metadata.modified().expect("mtime is supported"),
        #[cfg(unix)]
        inode: std::os::unix::fs::MetadataExt::ino(&metadata),
    }
}

/// The file names in `dir`.
pub(crate) fn listing(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .expect("list the state directory")
        .map(|entry| {
            let name = entry.expect("read a directory entry").file_name();
            name.into_string().expect("test file names are UTF-8")
        })
        .collect()
}

pub(crate) fn names(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}
