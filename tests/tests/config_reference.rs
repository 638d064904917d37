//! The plane's configuration keys against docs/fleet.md (the exporter's against
//! docs/configuration.md are checked in its crate): every key each section accepts, read from
//! the types themselves, must be documented in the plane's configuration table.

use upsight_exporter::config::reference::{keys, section};
use upsight_fleet::config::raw::{RawConfig, RawHttp, RawTokens};

#[test]
fn every_plane_key_is_documented() {
    let doc = include_str!("../../docs/fleet.md");
    let table = section(doc, "## Configuration");
    assert!(!table.is_empty(), "no '## Configuration' in docs/fleet.md");
    let mut missing = Vec::new();
    for (prefix, fields) in [
        ("", keys::<RawConfig>()),
        ("[tokens] ", keys::<RawTokens>()),
        ("[http] ", keys::<RawHttp>()),
        ("[analytics] ", keys::<upsight_analytics::RawConnection>()),
    ] {
        assert!(fields.len() >= 3, "{prefix}: {fields:?}");
        for field in fields {
            // A key, or a table written as `[name]` / `[name] key`.
            let documented = table.contains(&format!("`{prefix}{field}`"))
                || table.contains(&format!("`{field}`"))
                || table.contains(&format!("`[{field}]"));
            if !documented {
                missing.push(format!("{prefix}{field}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "plane keys docs/fleet.md does not document: {missing:?}"
    );
}
