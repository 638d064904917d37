//! `[analytics]`: defaults, the environment, and every bad key named.

use std::time::Duration;

use super::*;

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
