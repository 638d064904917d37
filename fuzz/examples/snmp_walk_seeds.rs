//! Writes seed inputs for the `snmp_walk` target from `.snmprec` recordings: per recording, one
//! poll with the detected profile configured and one with detection, every GET answered from
//! the recording and every column walked GETNEXT-style (one row per request) to its end. Each
//! input is read back with the target's `Script` before it is written, so the seeds say what
//! the recordings say.
//!
//! ```text
//! cargo run --manifest-path fuzz/Cargo.toml --example snmp_walk_seeds -- \
//!     fuzz/corpus/snmp_walk tests/fixtures/snmp/*.snmprec
//! ```

use std::io::Write as _;
use std::path::{Path, PathBuf};

use upsight_fuzz::agent::{Response, Script, Writer};
use upsight_proto::snmp::profile;
use upsight_proto::snmp::snmprec::parse_snmprec;
use upsight_proto::snmp::walk::{Walk, WalkLimits};
use upsight_proto::snmp::{Oid, Value};

/// The setup byte that makes the target detect the profile.
const DETECT: u8 = 4;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let out = PathBuf::from(
        args.next()
            .ok_or("usage: snmp_walk_seeds OUT_DIR FILE...")?,
    );
    std::fs::create_dir_all(&out)?;
    for file in args.map(PathBuf::from) {
        let entries = parse_snmprec(&std::fs::read(&file)?)?.entries;
        let mut asked = profile::system_oids();
        asked.extend(profile::probe_oids());
        let Some(found) = profile::detect(&get(&entries, &asked)) else {
            eprintln!("{}: no UPS profile answers, skipped", file.display());
            continue;
        };
        let index = profile::ALL
            .iter()
            .position(|p| p.id == found.id)
            .ok_or("a detected profile is in ALL")?;
        let stem = file.file_stem().unwrap_or_default().to_string_lossy();
        for (setup, suffix) in [(index as u8, found.id), (DETECT, "detect")] {
            let mut sent = Vec::new();
            if setup == DETECT {
                sent.push((asked.clone(), get(&entries, &asked)));
            }
            poll(&mut sent, &entries, found);
            let mut writer = Writer::new(setup);
            for (asked, varbinds) in &sent {
                writer.response(asked, 0, varbinds);
            }
            let bytes = writer.into_bytes();
            check_read_back(&bytes, &sent)?;
            write(&out.join(format!("{stem}-{suffix}")), &bytes)?;
        }
    }
    Ok(())
}

type Exchange = (Vec<Oid>, Vec<(Oid, Value)>);

/// The plan's GET, then its columns walked together: each request and its answer.
fn poll(sent: &mut Vec<Exchange>, entries: &[(Oid, Value)], profile: &profile::Profile) {
    let plan = profile.plan();
    sent.push((plan.scalars.clone(), get(entries, &plan.scalars)));
    let mut walk = Walk::new(plan.columns, WalkLimits::default());
    while let Some(asked) = walk.next_request() {
        let answers: Vec<(Oid, Value)> = asked.iter().map(|a| next_after(entries, a)).collect();
        sent.push((asked, answers.clone()));
        walk.feed(answers);
    }
}

/// Whether the target's reader sees exactly the answers that were written.
fn check_read_back(bytes: &[u8], sent: &[Exchange]) -> Result<(), String> {
    let mut script = Script::new(bytes);
    script.byte();
    for (asked, varbinds) in sent {
        let expected = Response {
            error_status: 0,
            varbinds: varbinds.clone(),
        };
        let read = script.response(asked, &[]);
        if read.as_ref() != Some(&expected) {
            return Err(format!("read back {read:?}, wrote {expected:?}"));
        }
    }
    Ok(())
}

/// What a GET of `asked` answers from the recording.
fn get(entries: &[(Oid, Value)], asked: &[Oid]) -> Vec<(Oid, Value)> {
    asked
        .iter()
        .map(|oid| {
            let value = entries
                .iter()
                .find(|(o, _)| o == oid)
                .map_or(Value::NoSuchObject, |(_, v)| v.clone());
            (oid.clone(), value)
        })
        .collect()
}

/// What a GETNEXT of `oid` answers (entries are in walk order).
fn next_after(entries: &[(Oid, Value)], oid: &Oid) -> (Oid, Value) {
    entries
        .iter()
        .find(|(o, _)| o > oid)
        .cloned()
        .unwrap_or_else(|| (oid.clone(), Value::EndOfMibView))
}

fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    eprintln!("{}: {} bytes", path.display(), bytes.len());
    std::fs::File::create(path)?.write_all(bytes)
}
