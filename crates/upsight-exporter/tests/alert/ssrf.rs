//! SSRF refusals: non-public targets and plain http are refused at startup and again at
//! send time, with no connection made.

use std::time::{Duration, Instant};

use upsight_exporter::alert::{FailReason, RawAlerts};
use upsight_model::EventKind;

use crate::support::{Trap, config, event, pki, settled, start, webhook};

/// Each case is refused by the startup check and again at send time, with no connection.
#[tokio::test]
async fn non_public_targets_are_refused_without_connecting() {
    let pki = pki();
    let trap = Trap::new();
    let port = trap.port();
    let cases = [
        // Loopback is refused unless allow-listed.
        (format!("https://127.0.0.1:{port}/"), "loopback"),
        (format!("https://[::ffff:127.0.0.1]:{port}/"), "loopback"),
        // A host name is judged by what it resolves to (/etc/hosts: 127.0.0.1).
        (format!("https://localhost:{port}/"), "loopback"),
        // The cloud metadata address: an address literal, so no lookup either.
        (
            "https://169.254.169.254/latest/meta-data/".to_owned(),
            "link-local",
        ),
        ("https://[::ffff:169.254.169.254]/".to_owned(), "link-local"),
        ("https://10.0.0.1/".to_owned(), "private"),
    ];
    for (url, class) in cases {
        let config = config(&webhook(&url, "", &pki));
        let errors = config.check_targets().await.unwrap_err().0;
        assert_eq!(errors.len(), 1, "{url}");
        assert_eq!(errors[0].path, "alerts.targets[0].url");
        assert!(errors[0].message.contains(class), "{url}: {}", errors[0]);

        let started = Instant::now();
        let (alerter, _stop) = start(config);
        alerter.notify(&event(EventKind::OnBattery, 1));
        assert_eq!(
            settled(&alerter, 1).await,
            [FailReason::RefusedAddress],
            "{url}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{url}: refused without waiting on I/O"
        );
        trap.assert_untouched();
    }
}

#[tokio::test]
async fn http_is_a_config_error_and_refused_at_send_time() {
    let pki = pki();
    let trap = Trap::new();
    let url = format!("http://127.0.0.1:{}/", trap.port());
    let text = webhook(&url, "\"127.0.0.1\"", &pki);
    #[derive(serde::Deserialize)]
    struct File {
        alerts: RawAlerts,
    }
    let file: File = toml::from_str(&text).unwrap();
    let mut errors = Vec::new();
    assert!(
        file.alerts
            .validate(&mut |p, m| errors.push((p, m)))
            .is_none()
    );
    assert_eq!(
        errors,
        [(
            "alerts.targets[0].url".to_owned(),
            "alert targets must use https".to_owned()
        )]
    );

    // A target that skipped validation (say, changed at runtime) is still refused at send.
    let https = format!("https://127.0.0.1:{}/", trap.port());
    let mut config = config(&webhook(&https, "\"127.0.0.1\"", &pki));
    config.targets[0].url = url.parse().unwrap();
    let (alerter, _stop) = start(config);
    alerter.notify(&event(EventKind::OnBattery, 1));
    assert_eq!(settled(&alerter, 1).await, [FailReason::RefusedAddress]);
    trap.assert_untouched();
}
