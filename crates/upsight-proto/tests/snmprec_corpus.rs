//! `parse_snmprec` against real recordings: every `$UPSIGHT_DEVICE_CORPUS/snmprec/*.snmprec`
//! must parse, and the counts must add up (records = entries + skipped + duplicates), with
//! known quirks checked by name. The corpus is not part of the repository, so without
//! `UPSIGHT_DEVICE_CORPUS` the test only says it did nothing.

use std::collections::BTreeMap;
use std::path::Path;

use upsight_proto::snmp::Value;
use upsight_proto::snmp::snmprec::{Recording, parse_snmprec};

/// What one file gave.
struct Parsed {
    raw: Vec<u8>,
    records: usize,
    recording: Recording,
}

impl Parsed {
    fn duplicates(&self) -> usize {
        self.records - self.recording.entries.len() - self.recording.skipped.len()
    }
}

fn parse_all(dir: &Path) -> BTreeMap<String, Parsed> {
    let mut parsed = BTreeMap::new();
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.extension().is_none_or(|ext| ext != "snmprec") {
            continue;
        }
        let name = path.file_stem().expect("a *.snmprec file has a stem");
        let name = name.to_string_lossy().into_owned();
        let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let recording = parse_snmprec(&raw).unwrap_or_else(|e| panic!("{name}: {e}"));
        let records = raw
            .split(|&b| b == b'\n')
            .map(<[u8]>::trim_ascii)
            .filter(|line| !line.is_empty() && !line.starts_with(b"#"))
            .count();
        parsed.insert(
            name,
            Parsed {
                raw,
                records,
                recording,
            },
        );
    }
    parsed
}

#[test]
fn every_corpus_recording_parses_with_plausible_counts() {
    let Some(corpus) = std::env::var_os("UPSIGHT_DEVICE_CORPUS") else {
        eprintln!("UPSIGHT_DEVICE_CORPUS is not set; skipping the snmprec corpus test");
        return;
    };
    let all = parse_all(&Path::new(&corpus).join("snmprec"));
    assert!(all.len() >= 10, "only {} recordings found", all.len());
    for (name, file) in &all {
        let entries = &file.recording.entries;
        assert!(
            entries.windows(2).all(|w| w[0].0 < w[1].0),
            "{name}: not in strict walk order"
        );
        assert!(
            file.records >= entries.len() + file.recording.skipped.len(),
            "{name}: more entries than records"
        );
        assert!(
            entries.len() * 10 >= file.records * 9,
            "{name}: only {} entries from {} records",
            entries.len(),
            file.records
        );
        assert!(
            entries
                .iter()
                .any(|(oid, _)| oid.to_string() == "1.3.6.1.2.1.1.2.0"),
            "{name}: no sysObjectID"
        );
    }

    let apc = &all["apc_surt3000xl"];
    assert_eq!((apc.records, apc.recording.entries.len()), (124, 124));
    assert!(apc.recording.skipped.is_empty());

    let phoenixtec = &all["phoenixtec-power"];
    assert!(phoenixtec.raw.windows(2).any(|w| w == b"\r\n"));
    assert!(std::str::from_utf8(&phoenixtec.raw).is_err());
    assert_eq!(phoenixtec.recording.entries.len(), phoenixtec.records);
    assert!(
        phoenixtec
            .recording
            .entries
            .iter()
            .all(|(_, v)| !matches!(v, Value::OctetString(s) if s.ends_with(b"\r")))
    );

    for name in ["huawei-gse200m", "vertiv-power"] {
        assert_eq!(all[name].duplicates(), 1, "{name}");
    }
    for (name, file) in &all {
        if name != "huawei-gse200m" && name != "vertiv-power" {
            assert_eq!(file.duplicates(), 0, "{name}");
        }
    }

    // `2:numeric` records (24 and 16) are skipped; the `writecache` ones are served.
    for (name, numeric) in [("apc-8932", 24), ("tripplite-poweralert", 16)] {
        let skipped = &all[name].recording.skipped;
        assert_eq!(skipped.len(), numeric, "{name}");
        assert!(skipped.iter().all(|s| s.reason.contains("\"numeric\"")));
    }
    let tripplite = &all["tripplite-poweralert"];
    let writecache: upsight_proto::snmp::Oid =
        "1.3.6.1.4.1.850.1.1.3.4.3.1.1.1.12.1".parse().unwrap();
    assert!(
        tripplite
            .recording
            .entries
            .contains(&(writecache, Value::Integer(3)))
    );
}
