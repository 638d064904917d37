#![allow(clippy::unwrap_used)]

use super::*;
use crate::config::RuntimeDevice;

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const OTHER: &str = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn write(path: &Path, text: impl AsRef<[u8]>) {
    std::io::Write::write_all(&mut std::fs::File::create(path).unwrap(), text.as_ref()).unwrap();
}

fn device(json: &str) -> RuntimeDevice {
    serde_json::from_str(json).unwrap()
}

fn state_with_secrets() -> ExporterState {
    let mut state = ExporterState::default();
    state.runtime.insert(
        "rack".into(),
        device(r#"{"name":"rack","nut":{"address":"h","username":"u","password":"nut-pass"}}"#),
    );
    state.runtime.insert(
        "v3".into(),
        device(
            r#"{"name":"v3","snmp":{"address":"h","version":"3","username":"u","auth_password":"auth-pass-1","priv_password":"priv-pass-1"}}"#,
        ),
    );
    state.alerts = Some(
        serde_json::from_str(
            r#"{"targets":[{"name":"s","kind":"slack","url":"https://hooks.slack.com/services/T/B/secret-path"},{"name":"w","kind":"webhook","url":"https://example.net/hook","token":"hook-token"}]}"#,
        )
        .unwrap(),
    );
    state
}

#[test]
fn sealed_state_holds_no_secret_and_opens_back_to_the_same_values() {
    let key = StateKey::from_hex(KEY).unwrap();
    let mut state = state_with_secrets();
    seal(&mut state, Some(&key)).unwrap();
    let text = serde_json::to_string(&state).unwrap();
    for secret in [
        "nut-pass",
        "auth-pass-1",
        "priv-pass-1",
        "hook-token",
        "secret-path",
    ] {
        assert!(!text.contains(secret), "{secret} in clear: {text}");
    }
    assert_eq!(text.matches(SEALED_PREFIX).count(), 5, "{text}");
    // The public parts stay readable.
    assert!(text.contains("https://example.net/hook"), "{text}");

    let mut loaded: ExporterState = serde_json::from_str(&text).unwrap();
    open(&mut loaded, Some(&key)).unwrap();
    assert_eq!(
        serde_json::to_value(&loaded).unwrap(),
        serde_json::to_value(state_with_secrets()).unwrap()
    );
}

#[test]
fn each_seal_uses_a_fresh_nonce() {
    let key = StateKey::from_hex(KEY).unwrap();
    let a = key.seal("same").unwrap();
    let b = key.seal("same").unwrap();
    assert_ne!(a, b);
    assert_eq!(
        key.open(a.strip_prefix(SEALED_PREFIX).unwrap()).unwrap(),
        "same"
    );
}

#[test]
fn a_sealed_state_without_the_key_or_with_another_or_altered_is_refused() {
    let key = StateKey::from_hex(KEY).unwrap();
    let mut state = state_with_secrets();
    seal(&mut state, Some(&key)).unwrap();
    let text = serde_json::to_string(&state).unwrap();

    let mut loaded: ExporterState = serde_json::from_str(&text).unwrap();
    assert_eq!(open(&mut loaded, None), Err(SealError::NoKey));
    let mut loaded: ExporterState = serde_json::from_str(&text).unwrap();
    let other = StateKey::from_hex(OTHER).unwrap();
    assert_eq!(open(&mut loaded, Some(&other)), Err(SealError::WrongKey));

    // One flipped ciphertext digit fails authentication.
    let at = text.find(SEALED_PREFIX).unwrap() + SEALED_PREFIX.len() + 30;
    let mut bytes = text.into_bytes();
    bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
    let mut loaded: ExporterState = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(open(&mut loaded, Some(&key)), Err(SealError::WrongKey));
    for bad in ["zz", "00", ""] {
        assert_eq!(key.open(bad), Err(SealError::Malformed), "{bad:?}");
    }
}

#[test]
fn secrets_stored_in_clear_by_an_older_version_still_load() {
    let mut state = state_with_secrets();
    open(&mut state, None).unwrap();
    assert_eq!(
        state.runtime["rack"]
            .nut
            .as_ref()
            .unwrap()
            .password
            .as_ref()
            .unwrap()
            .0,
        "nut-pass"
    );
}

#[test]
fn keys_are_64_hex_digits() {
    assert!(StateKey::from_hex(KEY).is_ok());
    assert!(StateKey::from_hex(&KEY.to_uppercase()).is_ok());
    for bad in [
        "",
        "00",
        &KEY[..62],
        &format!("{KEY}00"),
        &KEY.replace('0', "g"),
    ] {
        let err = StateKey::from_hex(bad).unwrap_err();
        assert!(err.contains("64 hexadecimal digits"), "{bad:?}: {err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key");
    write(&path, format!("{KEY}\n"));
    assert!(StateKey::from_file(&path).is_ok());
    write(&path, "short\n");
    let err = StateKey::from_file(&path).unwrap_err();
    assert!(err.contains("openssl rand -hex 32"), "{err}");
    let err = StateKey::from_file(&dir.path().join("missing")).unwrap_err();
    assert!(err.contains("cannot read"), "{err}");
    assert_eq!(
        format!("{:?}", StateKey::from_hex(KEY).unwrap()),
        "StateKey(<redacted>)"
    );
}

#[test]
fn the_api_refuses_file_keys_always_and_inline_secrets_without_a_key() {
    let with_file = device(
        r#"{"name":"x","nut":{"address":"h","username":"u","password_file":"/etc/shadow"}}"#,
    );
    for has_key in [false, true] {
        let err = check_api_device(&with_file, has_key).unwrap_err();
        assert!(
            err.starts_with("nut.password_file: *_file keys are not accepted"),
            "{err}"
        );
    }
    let community_file =
        device(r#"{"name":"x","snmp":{"address":"h","community_file":"/etc/passwd"}}"#);
    let err = check_api_device(&community_file, true).unwrap_err();
    assert!(err.starts_with("snmp.community_file"), "{err}");

    let inline = device(r#"{"name":"x","snmp":{"address":"h","community":"public"}}"#);
    let err = check_api_device(&inline, false).unwrap_err();
    assert!(err.contains("no state_key_file is configured"), "{err}");
    assert_eq!(check_api_device(&inline, true), Ok(()));
    let plain = device(r#"{"name":"x","nut":{"address":"h"}}"#);
    assert_eq!(check_api_device(&plain, false), Ok(()));
    let marked = device(r#"{"name":"x","snmp":{"address":"h","community":"sealed:v1:00"}}"#);
    assert!(
        check_api_device(&marked, true)
            .unwrap_err()
            .contains("may not start")
    );

    let alerts: RawAlerts = serde_json::from_str(
        r#"{"targets":[{"name":"w","kind":"webhook","url":"https://e.net/h","token_file":"/root/.ssh/id_rsa"}]}"#,
    )
    .unwrap();
    let err = check_api_alerts(&alerts, true).unwrap_err();
    assert!(err.starts_with("targets[0].token_file"), "{err}");
    let slack: RawAlerts = serde_json::from_str(
        r#"{"targets":[{"name":"s","kind":"slack","url":"https://hooks.slack.com/services/x"}]}"#,
    )
    .unwrap();
    assert!(
        check_api_alerts(&slack, false).is_err(),
        "a Slack URL is a secret"
    );
    assert_eq!(check_api_alerts(&slack, true), Ok(()));
    let ntfy: RawAlerts = serde_json::from_str(
        r#"{"targets":[{"name":"n","kind":"ntfy","url":"https://ntfy.sh/t"}]}"#,
    )
    .unwrap();
    assert_eq!(check_api_alerts(&ntfy, false), Ok(()));
}

#[test]
fn the_exporter_refuses_a_sealed_state_without_its_key_and_leaves_the_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("state.key");
    write(&key_path, KEY);
    let state_dir = dir.path().join("state");
    let config = |key: Option<&Path>| {
        let key = key.map_or(String::new(), |k| {
            format!("state_key_file = \"{}\"\n", k.display())
        });
        crate::Config::parse(
            &format!(
                "state_dir = \"{}\"\n{key}[[nut]]\naddress = \"h\"\n",
                state_dir.display()
            ),
            &|_| None,
        )
        .unwrap()
    };
    {
        let (store, _) =
            upsight_store::Store::<ExporterState>::open(&state_dir, crate::STATE_NAME).unwrap();
        let mut state = state_with_secrets();
        seal(&mut state, Some(&StateKey::from_hex(KEY).unwrap())).unwrap();
        store.save(&state).unwrap();
    }
    let file = state_dir.join("exporter.json");
    let before = std::fs::read(&file).unwrap();

    let err = crate::open_state(&config(None)).unwrap_err();
    assert_eq!(err.exit_code(), 73);
    assert!(
        err.to_string().contains("no state_key_file is configured"),
        "{err}"
    );
    let other = dir.path().join("other.key");
    write(&other, OTHER);
    let err = crate::open_state(&config(Some(&other))).unwrap_err();
    assert!(err.to_string().contains("sealed with another key"), "{err}");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "the file is untouched"
    );

    assert!(crate::open_state(&config(Some(&key_path))).is_ok());
}
