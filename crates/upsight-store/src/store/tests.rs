use std::fs::File;
use std::io::Write as _;
use std::path::Path;

use super::{check_name, read_bounded};
use crate::StoreError;

fn write(path: &Path, bytes: &[u8]) {
    File::create(path).unwrap().write_all(bytes).unwrap();
}

#[test]
fn names_are_plain() {
    let dir = Path::new("/state");
    for good in ["state", "exporter", "fleet-1", "a_b", &"x".repeat(64)] {
        assert!(check_name(dir, good).is_ok(), "{good}");
    }
    for bad in [
        "",
        ".",
        "..",
        "a.b",
        "a/b",
        "../x",
        "a b",
        "é",
        "a\0",
        &"x".repeat(65),
    ] {
        let err = check_name(dir, bad).unwrap_err();
        assert!(matches!(err, StoreError::InvalidName { .. }), "{bad:?}");
        assert_eq!(err.exit_code(), 70);
    }
}

#[test]
fn read_bounded_enforces_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    assert!(read_bounded(&path, 10).unwrap().is_none());

    write(&path, b"0123456789");
    assert_eq!(read_bounded(&path, 10).unwrap().unwrap(), b"0123456789");
    let err = read_bounded(&path, 9).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::TooLarge {
                size: 10,
                limit: 9,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn read_bounded_refuses_non_files() {
    let dir = tempfile::tempdir().unwrap();
    let err = read_bounded(dir.path(), 10).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
}
