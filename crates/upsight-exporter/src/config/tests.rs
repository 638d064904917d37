//! Configuration parsing and validation tests.

use std::time::Duration;

use super::*;

mod analytics;
mod snmp;

fn no_env(_: &str) -> Option<String> {
    None
}

fn parse(text: &str) -> Result<Config, ConfigErrors> {
    Config::parse(text, &no_env)
}

#[test]
fn minimal_config_gets_documented_defaults() {
    let cfg = parse("[[nut]]\naddress = \"127.0.0.1\"\n").unwrap();
    assert_eq!(cfg.listen.to_string(), "0.0.0.0:9955");
    assert_eq!(cfg.interval, Duration::from_secs(5));
    let s = &cfg.nut[0];
    assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 3493));
    assert!(s.ups.is_none());
    assert_eq!(s.poll_timeout, Duration::from_secs(4));
    assert_eq!(s.connect_timeout, Duration::from_secs(2));
}

#[test]
fn full_config() {
    let cfg = parse(
        r#"
listen = "127.0.0.1:9000"
interval = "10s"
[[nut]]
address = "[::1]:13493"
ups = ["a", "b"]
prefix = "site1-"
username = "mon"
password = "pw"
connect_timeout = "1s"
read_timeout = "500ms"
poll_timeout = "3s"
"#,
    )
    .unwrap();
    let s = &cfg.nut[0];
    assert_eq!((s.host.as_str(), s.port), ("::1", 13493));
    assert_eq!(s.endpoint(), "[::1]:13493");
    assert_eq!(s.ups.as_ref().unwrap().len(), 2);
    assert_eq!(s.password.as_ref().unwrap().expose(), "pw");
    assert_eq!(format!("{:?}", s.password), "Some(<redacted>)");
    assert_eq!(s.read_timeout, Duration::from_millis(500));
}

#[test]
fn unknown_keys_are_errors_naming_the_key_and_line() {
    let err = parse("[[nut]]\naddress = \"h\"\nadress = \"x\"\n").unwrap_err();
    let text = err.to_string();
    assert!(text.contains("adress"), "{text}");
    assert!(text.contains("line 3"), "{text}");
    let err = parse("listn = \"x\"\n").unwrap_err();
    assert!(err.to_string().contains("listn"));
}

#[test]
fn bad_values_name_path_and_value() {
    let err = parse(
        r#"
listen = "nowhere"
interval = "0s"
[[nut]]
address = "h:70000"
[[nut]]
address = "h2"
ups = ["ok", "bad name"]
poll_timeout = "1h"
"#,
    )
    .unwrap_err();
    let text = err.to_string();
    for want in [
        "listen: \"nowhere\"",
        "interval: 0s is out of range",
        "nut[0].address: \"h:70000\": port \"70000\" is out of range",
        "nut[1].ups[1]: device name \"bad name\"",
        "nut[1].poll_timeout: 1h must be",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}

#[test]
fn duplicate_names_across_servers_are_errors_unless_prefixed() {
    let text = "[[nut]]\naddress = \"a\"\nups = [\"u\"]\n[[nut]]\naddress = \"b\"\nups = [\"u\"]\n";
    let err = parse(text).unwrap_err();
    assert!(
        err.to_string()
            .contains("nut[1].ups[0]: device name \"u\" is used twice")
    );
    let ok = text.replace("address = \"b\"", "address = \"b\"\nprefix = \"b-\"");
    assert!(parse(&ok).is_ok());
}

#[test]
fn secrets_password_file_and_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pw");
    std::fs::File::create(&file)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"s3cret\n"))
        .unwrap();
    let cfg = parse(&format!(
        "[[nut]]\naddress = \"h\"\nusername = \"u\"\npassword_file = {:?}\n",
        file.display().to_string()
    ))
    .unwrap();
    assert_eq!(cfg.nut[0].password.as_ref().unwrap().expose(), "s3cret");
    let err = parse(
        "[[nut]]\naddress = \"h\"\nusername = \"u\"\npassword = \"a\"\npassword_file = \"/x\"\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("not both"));
    let err = parse("[[nut]]\naddress = \"h\"\npassword_file = \"/does/not/exist\"\n").unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("nut[0].password_file: cannot read /does/not/exist"),
        "{text}"
    );
    assert!(
        text.contains("nut[0].username: a password needs a username"),
        "{text}"
    );
}

#[test]
fn env_overrides_go_through_the_injected_lookup() {
    let env = |k: &str| match k {
        "UPSIGHT_LISTEN" => Some("127.0.0.1:1234".to_owned()),
        "UPSIGHT_INTERVAL" => Some("2s".to_owned()),
        _ => None,
    };
    let cfg = Config::parse("[[nut]]\naddress = \"h\"\n", &env).unwrap();
    assert_eq!(cfg.listen.to_string(), "127.0.0.1:1234");
    assert_eq!(cfg.interval, Duration::from_secs(2));
    let bad = |k: &str| (k == "UPSIGHT_INTERVAL").then(|| "soon".to_owned());
    let err = Config::parse("[[nut]]\naddress = \"h\"\n", &bad).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("UPSIGHT_INTERVAL: \"soon\" is not a duration")
    );
}

#[test]
fn no_sources_is_an_error() {
    let err = parse("").unwrap_err();
    assert_eq!(
        err.to_string(),
        "nut: no devices configured: add a [[nut]] or [[snmp]] section"
    );
}

#[test]
fn credential_pairs_empty_lists_and_line_breaks_are_errors() {
    let err = parse("[[nut]]\naddress = \"h\"\nusername = \"u\"\n").unwrap_err();
    assert!(
        err.to_string()
            .contains("nut[0].password: a username needs a password"),
        "{err}"
    );
    let err =
        parse("[[nut]]\naddress = \"h\"\nusername = \"u\"\npassword = \"a\\nb\"\n").unwrap_err();
    assert!(
        err.to_string()
            .contains("nut[0].password: contains a line break"),
        "{err}"
    );
    assert!(
        !err.to_string().contains("a\nb"),
        "the secret is never echoed"
    );
    let err = parse("[[nut]]\naddress = \"h\"\nups = []\n").unwrap_err();
    assert!(err.to_string().contains("nut[0].ups: empty list"), "{err}");
}

#[test]
fn state_dir_and_price() {
    let cfg =
        parse("state_dir = \"/var/lib/upsight\"\nprice_per_kwh = 0.3\n[[nut]]\naddress = \"h\"\n")
            .unwrap();
    assert_eq!(
        cfg.state_dir.as_deref(),
        Some(std::path::Path::new("/var/lib/upsight"))
    );
    assert_eq!(cfg.price_per_kwh, Some(0.3));
    let env = |k: &str| (k == "UPSIGHT_STATE_DIR").then(|| "/srv/state".to_owned());
    let cfg = Config::parse("[[nut]]\naddress = \"h\"\n", &env).unwrap();
    assert_eq!(
        cfg.state_dir.as_deref(),
        Some(std::path::Path::new("/srv/state"))
    );
    let err = parse("state_dir = \"\"\nprice_per_kwh = -1.0\n[[nut]]\naddress = \"h\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("state_dir: is empty"), "{err}");
    assert!(
        err.contains("price_per_kwh: -1.0 must be a number of 0 or more"),
        "{err}"
    );
}

#[test]
fn http_tokens_from_file_env_and_checks() {
    let good = "v".repeat(32);
    let cfg = parse(&format!(
        "[http]\nviewer_token = \"{good},{good}x\"\nrate_limit_per_minute = 600\n[[nut]]\naddress = \"h\"\n"
    ))
    .unwrap();
    assert_eq!(
        cfg.http.viewer.as_ref().map(upsight_http::TokenSet::len),
        Some(2)
    );
    assert!(cfg.http.admin.is_none());
    assert!(!format!("{cfg:?}").contains(&good), "tokens never in Debug");
    let env = |k: &str| (k == "UPSIGHT_ADMIN_TOKEN").then(|| "a".repeat(40));
    let cfg = Config::parse("[[nut]]\naddress = \"h\"\n", &env).unwrap();
    assert!(
        cfg.http
            .admin
            .as_ref()
            .is_some_and(|t| t.matches("a".repeat(40).as_bytes()))
    );
    let err = parse(
        "[http]\nviewer_token = \"short-secret\"\ntrusted_proxies = [\"10.0.0.0/99\"]\nrate_limit_per_minute = 0\n[[nut]]\naddress = \"h\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("http.viewer_token:"), "{err}");
    assert!(
        !err.contains("short-secret"),
        "the token is never echoed: {err}"
    );
    assert!(err.contains("http.trusted_proxies[0]:"), "{err}");
    assert!(
        err.contains("http.rate_limit_per_minute: 0 is out of range"),
        "{err}"
    );
}

#[test]
fn secure_cookies_default_off() {
    let cfg = parse("[[nut]]\naddress = \"h\"\n").unwrap();
    assert!(!cfg.http.is_cookie_secure);
    let cfg = parse("[http]\nsecure_cookies = true\n[[nut]]\naddress = \"h\"\n").unwrap();
    assert!(cfg.http.is_cookie_secure);
}

#[test]
fn http_connection_limits_and_allowed_hosts() {
    let cfg = parse("[[nut]]\naddress = \"h\"\n").unwrap();
    assert_eq!(cfg.http.limits, upsight_http::Limits::default());
    assert!(cfg.http.allowed_hosts.is_empty());
    let cfg = parse(
        "[http]\nmax_connections = 64\nheader_read_timeout = \"2s\"\nmax_header_bytes = 8192\n\
         allowed_hosts = [\"ups.example.net\"]\n[[nut]]\naddress = \"h\"\n",
    )
    .unwrap();
    assert_eq!(cfg.http.limits.max_connections, 64);
    assert_eq!(
        cfg.http.limits.header_read_timeout,
        std::time::Duration::from_secs(2)
    );
    assert_eq!(cfg.http.limits.max_header_bytes, 8192);
    assert!(!cfg.http.allowed_hosts.is_empty());
    let err = parse(
        "[http]\nmax_connections = 0\nheader_read_timeout = \"0s\"\nmax_header_bytes = 100\n\
         allowed_hosts = [\"https://ups.example.net\"]\n[[nut]]\naddress = \"h\"\n",
    )
    .unwrap_err()
    .to_string();
    for key in [
        "http.max_connections: 0 is out of range",
        "http.header_read_timeout: 0ns is out of range",
        "http.max_header_bytes: 100 is out of range",
        "http.allowed_hosts: \"https://ups.example.net\" is not a host name",
    ] {
        assert!(err.contains(key), "{key} missing in: {err}");
    }
}
