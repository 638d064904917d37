//! A pre-scan of config text for the `exporter_config` and `fleet_config` targets.
//!
//! Both loaders read `*_file` paths (tokens, passwords) with `read_to_string` while parsing. A
//! fuzzer that spells `/dev/zero`, `/dev/stdin` or `/proc/kmsg` would then hang or exhaust
//! memory in the *harness*, which says nothing about the parser, so such inputs are skipped.
//! A path to an ordinary small file, a directory or nothing at all is kept: those are the
//! error paths worth reaching.
//!
//! The scan also lists the secret values written inline (passwords, communities, tokens), so
//! the targets can check that no `Debug` output or masked view repeats one.

use std::path::Path;

/// Secret values shorter than this are not checked: a short value can legitimately appear in
/// other output (a port, a default, a flag name).
const MIN_CHECKED_SECRET_CHARS: usize = 16;
/// Files bigger than this are not worth reading as a secret.
const MAX_SECRET_FILE_BYTES: u64 = 64 * 1024;

/// What the pre-scan found.
#[derive(Debug, Default)]
pub struct Scan {
    /// A `*_file` value names something other than a small regular file, a directory or a
    /// missing path.
    pub has_unsafe_path: bool,
    /// Inline secret values of at least 16 characters that occur exactly once in the text, so
    /// no other field can hold them verbatim.
    pub secrets: Vec<String>,
}

/// Scans `text`; `None` when it is not TOML (then the loaders fail before reading any file).
pub fn scan(text: &str) -> Option<Scan> {
    let table: toml::Table = text.parse().ok()?;
    let mut scan = Scan::default();
    visit_table(&table, "", &mut scan);
    scan.secrets.retain(|s| {
        s.chars().count() >= MIN_CHECKED_SECRET_CHARS && text.matches(s.as_str()).count() == 1
    });
    Some(scan)
}

fn visit_table(table: &toml::Table, parent: &str, scan: &mut Scan) {
    for (key, value) in table {
        visit(key, parent, value, scan);
    }
}

fn visit(key: &str, parent: &str, value: &toml::Value, scan: &mut Scan) {
    match value {
        toml::Value::String(s) if key.ends_with("_file") => {
            scan.has_unsafe_path |= !is_safe_to_read(Path::new(s));
        }
        toml::Value::String(s) if is_secret_key(key, parent) => {
            // Token lists rotate: `new,old`.
            scan.secrets
                .extend(s.split(',').map(str::trim).map(str::to_owned));
        }
        toml::Value::Table(t) => visit_table(t, key, scan),
        toml::Value::Array(items) => {
            for item in items {
                visit(key, parent, item, scan);
            }
        }
        _ => {}
    }
}

/// Exporter: `password`, `community`, `auth_password`, `priv_password`, `token`,
/// `[http] *_token`; fleet: `[tokens] ingest`, `viewer`, `shared`.
fn is_secret_key(key: &str, parent: &str) -> bool {
    matches!(
        key,
        "password" | "community" | "auth_password" | "priv_password" | "token"
    ) || key.ends_with("_token")
        || (parent == "tokens" && matches!(key, "ingest" | "viewer" | "shared"))
}

fn is_safe_to_read(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return true; // missing or unreadable: an error, never a hang
    };
    if meta.is_dir() {
        return true;
    }
    let Ok(real) = path.canonicalize() else {
        return false;
    };
    let is_special = ["/dev", "/proc", "/sys", "/run"]
        .iter()
        .any(|root| real.starts_with(root));
    meta.is_file() && meta.len() <= MAX_SECRET_FILE_BYTES && !is_special
}
