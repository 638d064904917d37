//! `[[snmp]]` sections: versions, USM protocols and levels, credentials, names.

use super::*;

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
