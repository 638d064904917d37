//! Configuration parsing and validation tests.

use std::time::Duration;

use super::*;

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
fn snmp_v2c_defaults() {
    let cfg =
        parse("[[snmp]]\nname = \"closet\"\naddress = \"127.0.0.1\"\ncommunity = \"public\"\n")
            .unwrap();
    let d = &cfg.snmp[0];
    assert_eq!((d.host.as_str(), d.port), ("127.0.0.1", 161));
    assert!(matches!(d.security, SnmpSecurity::V2c { .. }));
    assert_eq!(d.profile, None, "auto-detected by default");
    assert_eq!(d.timeout, Duration::from_secs(1));
    assert_eq!(d.retries, 2);
    assert_eq!(d.max_repetitions, 10);
    assert_eq!(d.poll_timeout, Duration::from_secs(4));
    assert!(!format!("{d:?}").contains("public"), "community redacted");
}

#[test]
fn snmp_v3_defaults_to_sha_and_aes_authpriv() {
    let cfg = parse(
        r#"
[[snmp]]
name = "rack"
address = "[::1]:1161"
version = "3"
username = "upsmon"
auth_password = "authpass123"
priv_password = "privpass123"
context = "apc"
profile = "apc"
"#,
    )
    .unwrap();
    let d = &cfg.snmp[0];
    let SnmpSecurity::V3(usm) = &d.security else {
        panic!("not v3")
    };
    assert_eq!(usm.auth.as_ref().unwrap().0, AuthProtocol::Sha1);
    assert_eq!(usm.privacy.as_ref().unwrap().0, PrivProtocol::Aes128);
    assert_eq!(usm.context, "apc");
    assert_eq!(d.profile, Some("apc"));
    let shown = format!("{cfg:?}");
    assert!(
        !shown.contains("authpass123") && !shown.contains("privpass123"),
        "{shown}"
    );
}

#[test]
fn snmp_protocol_names_accept_common_spellings() {
    for (text, want) in [
        ("md5", AuthProtocol::Md5),
        ("SHA-1", AuthProtocol::Sha1),
        ("sha256", AuthProtocol::Sha256),
        ("SHA-512", AuthProtocol::Sha512),
    ] {
        assert_eq!(AuthProtocol::parse(text), Some(want), "{text}");
    }
    for (text, want) in [
        ("des", PrivProtocol::Des),
        ("AES", PrivProtocol::Aes128),
        ("aes-256", PrivProtocol::Aes256),
        ("AES192", PrivProtocol::Aes192),
    ] {
        assert_eq!(PrivProtocol::parse(text), Some(want), "{text}");
    }
}

#[test]
fn snmp_unknown_protocols_and_levels_are_errors_never_downgrades() {
    let err = parse(
        r#"
[[snmp]]
name = "a"
address = "h"
version = "3"
username = "u"
auth_protocol = "SHA3"
priv_protocol = "3DES"
auth_password = "12345678"
priv_password = "12345678"
[[snmp]]
name = "b"
address = "h"
version = "3"
username = "u"
security_level = "authpriv"
"#,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("snmp[0].auth_protocol: \"SHA3\" is not one of MD5, SHA"),
        "{err}"
    );
    assert!(
        err.contains("snmp[0].priv_protocol: \"3DES\" is not one of DES"),
        "{err}"
    );
    assert!(
        err.contains("snmp[1].security_level: \"authpriv\" is not one of"),
        "{err}"
    );
}

#[test]
fn snmp_credentials_must_match_the_version_and_level() {
    let err = parse(
        r#"
[[snmp]]
name = "a"
address = "h"
[[snmp]]
name = "b"
address = "h"
version = "3"
username = "u"
auth_password = "short"
[[snmp]]
name = "c"
address = "h"
version = "2c"
community = "x"
username = "u"
[[snmp]]
name = "d"
address = "h"
version = "3"
username = "u"
security_level = "authNoPriv"
auth_password = "12345678"
priv_password = "12345678"
[[snmp]]
name = "e"
address = "h"
version = "4"
community = "x"
"#,
    )
    .unwrap_err()
    .to_string();
    for want in [
        "snmp[0].community: SNMP version \"2c\" needs community or community_file",
        "snmp[1].auth_password: is shorter than 8 characters",
        "snmp[1].priv_password: security_level authPriv needs priv_password",
        "snmp[2].username: is an SNMPv3 setting, but version is \"2c\"",
        "snmp[3].priv_password: is set, but security_level is authNoPriv",
        "snmp[4].version: \"4\" is not one of \"1\", \"2c\", \"3\"",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    assert!(
        !err.contains("12345678") && !err.contains("short\""),
        "no secret echoed: {err}"
    );
}

#[test]
fn snmp_names_share_the_label_space_with_nut_and_profiles_are_checked() {
    let err = parse(
        r#"
[[nut]]
address = "h"
ups = ["x"]
[[snmp]]
name = "x"
address = "h"
community = "c"
profile = "liebert"
max_repetitions = 0
"#,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("snmp[0].name: device name \"x\" is used twice"),
        "{err}"
    );
    assert!(
        err.contains("snmp[0].profile: \"liebert\" is not one of auto, ups-mib"),
        "{err}"
    );
    assert!(
        err.contains("snmp[0].max_repetitions: 0 is out of range (1-100)"),
        "{err}"
    );
}

#[test]
fn snmp_secrets_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let community = dir.path().join("community");
    std::fs::File::create(&community)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"s3cret-community\n"))
        .unwrap();
    let text = format!(
        "[[snmp]]\nname = \"a\"\naddress = \"h:1161\"\nversion = \"1\"\ncommunity_file = \"{}\"\n",
        community.display()
    );
    let cfg = parse(&text).unwrap();
    let SnmpSecurity::V1 { community } = &cfg.snmp[0].security else {
        panic!("not v1")
    };
    assert_eq!(community.expose(), "s3cret-community");
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
fn analytics_defaults_take_the_fleet_group_as_site() {
    let text = "[[nut]]\naddress = \"127.0.0.1\"\n[fleet]\nurl = \"http://127.0.0.1:9956\"\n\
                group = \"branch-7\"\ntoken = \"ingest-token-0123456789abcdef0123456789\"\n\
                [analytics]\nurl = \"http://127.0.0.1:8123\"\n";
    let a = parse(text).unwrap().analytics.unwrap();
    assert_eq!(a.site, "branch-7");
    assert_eq!(a.settings.database, "upsight");
    assert_eq!(a.capacity_rows, 200_000);
    assert_eq!(a.batch_rows, 50_000);
    assert_eq!(a.retention, Some(Duration::from_secs(400 * 86_400)));
    let alone = parse("[[nut]]\naddress = \"127.0.0.1\"\n[analytics]\nurl = \"http://ch:8123\"\nretention = \"0s\"\n")
        .unwrap()
        .analytics
        .unwrap();
    assert_eq!(alone.site, "default");
    assert_eq!(alone.retention, None);
    assert!(
        parse("[[nut]]\naddress = \"127.0.0.1\"\n")
            .unwrap()
            .analytics
            .is_none()
    );
}

#[test]
fn analytics_env_creates_the_section_and_never_shows_the_password() {
    let env = |k: &str| match k {
        "UPSIGHT_ANALYTICS_URL" => Some("https://ch.example.net:8443".to_owned()),
        "UPSIGHT_ANALYTICS_USER" => Some("writer".to_owned()),
        "UPSIGHT_ANALYTICS_PASSWORD" => Some("marker-ch-password".to_owned()),
        _ => None,
    };
    let cfg = Config::parse("[[nut]]\naddress = \"127.0.0.1\"\n", &env).unwrap();
    let a = cfg.analytics.as_ref().unwrap();
    assert_eq!(a.settings.url, "https://ch.example.net:8443");
    assert_eq!(a.settings.user.as_deref(), Some("writer"));
    assert_eq!(
        a.settings.password.as_ref().unwrap().expose(),
        "marker-ch-password"
    );
    assert!(!format!("{cfg:?}").contains("marker-ch-password"));
    let view = crate::config::view::masked(&cfg).to_string();
    assert!(!view.contains("marker-ch-password"), "{view}");
    assert!(view.contains("\"password\":\"***\""), "{view}");
}

#[test]
fn bad_analytics_keys_are_named() {
    let err = parse(
        "[[nut]]\naddress = \"127.0.0.1\"\n[analytics]\nurl = \"http://u:p@ch:8123\"\n\
         database = \"up-sight\"\nsite = \"bad site\"\nqueue_rows = 10\nbatch_rows = 0\n\
         flush_interval = \"10ms\"\nretention = \"1h\"\nsurprise = 1\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("surprise"), "{err}");
    let err = parse(
        "[[nut]]\naddress = \"127.0.0.1\"\n[analytics]\nurl = \"http://u:p@ch:8123\"\n\
         database = \"up-sight\"\nsite = \"bad site\"\nqueue_rows = 10\nbatch_rows = 0\n\
         flush_interval = \"10ms\"\nretention = \"1h\"\n",
    )
    .unwrap_err();
    let text = err.to_string();
    for key in [
        "analytics.url",
        "analytics.database",
        "analytics.site",
        "analytics.queue_rows",
        "analytics.batch_rows",
        "analytics.flush_interval",
        "analytics.retention",
    ] {
        assert!(text.contains(key), "{key} in {text}");
    }
    let missing =
        parse("[[nut]]\naddress = \"127.0.0.1\"\n[analytics]\nuser = \"x\"\n").unwrap_err();
    assert!(
        missing.to_string().contains("analytics.url: is required"),
        "{missing}"
    );
}
