//! The `[alerts]` section: targets, filters, cooldowns and the SSRF allowlist, as written
//! (`RawAlerts`) and validated (`AlertConfig`). Validation does no network I/O; the DNS check
//! runs at startup in [`AlertConfig::check_targets`] and again at every send.

use std::collections::HashSet;
use std::time::Duration;

use serde::Deserialize;

use super::raw::RawTarget;
use super::ssrf::{Allowlist, Guard};
use super::target::Target;
use crate::config::{ConfigError, ConfigErrors};

/// `[alerts]` as written (`deny_unknown_fields`: a typo is an error).
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAlerts {
    /// `[[alerts.targets]]` entries.
    #[serde(default)]
    pub targets: Vec<RawTarget>,
    /// Non-public addresses (CIDR or single address) and exact host names the SSRF guard lets
    /// through, e.g. `["10.0.0.0/8", "ntfy.lan"]`.
    #[serde(default)]
    pub allow_private: Vec<String>,
    /// Least time between two test alerts (the admin test endpoint answers 429 before).
    #[serde(default, with = "humantime_serde")]
    pub test_cooldown: Option<Duration>,
}

/// Validated `[alerts]`.
#[derive(Debug, Clone)]
pub struct AlertConfig {
    /// Targets, in file order.
    pub targets: Vec<Target>,
    /// What the SSRF guard lets through.
    pub allow: Allowlist,
    /// Least time between two test alerts.
    pub test_cooldown: Duration,
}

/// Default least time between two test alerts.
pub const DEFAULT_TEST_COOLDOWN: Duration = Duration::from_secs(10);
/// Deadline for resolving a target's host.
pub const DNS_TIMEOUT: Duration = Duration::from_secs(3);

impl RawAlerts {
    /// Checks every value; errors go to `err` with paths like `alerts.targets[1].url`.
    /// Reads `token_file` and `ca_file`; does no network I/O.
    pub fn validate(self, err: &mut dyn FnMut(String, String)) -> Option<AlertConfig> {
        let mut failed = false;
        let mut fail = |path: String, message: String| {
            failed = true;
            err(path, message);
        };
        let mut allow = Allowlist::default();
        for (i, entry) in self.allow_private.iter().enumerate() {
            if let Err(m) = allow.add(entry) {
                fail(format!("alerts.allow_private[{i}]"), m);
            }
        }
        let test_cooldown = self.test_cooldown.unwrap_or(DEFAULT_TEST_COOLDOWN);
        if test_cooldown > Duration::from_secs(3600) {
            let shown = humantime::format_duration(test_cooldown);
            fail(
                "alerts.test_cooldown".into(),
                format!("{shown} is out of range (0s to 1h)"),
            );
        }
        let mut names = HashSet::new();
        let mut targets = Vec::new();
        for (i, raw) in self.targets.into_iter().enumerate() {
            if let Some(t) = raw.validate(i, &mut names, &mut fail) {
                targets.push(t);
            }
        }
        (!failed).then_some(AlertConfig {
            targets,
            allow,
            test_cooldown,
        })
    }
}

impl Default for AlertConfig {
    /// No targets: alerting off (every [`super::Alerter`] call is a no-op).
    fn default() -> Self {
        Self {
            targets: Vec::new(),
            allow: Allowlist::default(),
            test_cooldown: DEFAULT_TEST_COOLDOWN,
        }
    }
}

impl AlertConfig {
    /// The SSRF guard for these targets.
    pub fn guard(&self) -> Guard {
        Guard::new(self.allow.clone(), DNS_TIMEOUT)
    }

    /// Startup check: resolves every target and refuses non-public addresses that are not
    /// allow-listed, and checks each target's TLS settings build. A resolution failure is
    /// only logged (DNS may be down at boot; every send checks again).
    pub async fn check_targets(&self) -> Result<(), ConfigErrors> {
        let guard = self.guard();
        let mut errors = Vec::new();
        for (i, target) in self.targets.iter().enumerate() {
            let path = |key: &str| format!("alerts.targets[{i}].{key}");
            match guard.check(&target.url).await {
                Ok(checked) => {
                    if let Err(e) = super::client::build(target, &checked) {
                        let key = if target.ca.is_some() {
                            "ca_file"
                        } else {
                            "url"
                        };
                        errors.push(ConfigError {
                            path: path(key),
                            message: format!("TLS setup failed: {}", super::client::describe(e)),
                        });
                    }
                }
                Err(e) if e.is_refusal() => errors.push(ConfigError {
                    path: path("url"),
                    message: e.to_string(),
                }),
                Err(e) => {
                    tracing::warn!(target = %target.name, error = %e, "Alert target does not resolve now; it is checked again at every send.");
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ConfigErrors(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::io::Write as _;

    use upsight_model::{EventKind, Severity};

    use super::*;
    use crate::alert::target::TargetKind;

    #[derive(Debug, serde::Deserialize)]
    struct Doc {
        alerts: RawAlerts,
    }

    fn validate(text: &str) -> (Option<AlertConfig>, Vec<(String, String)>) {
        let doc: Doc = toml::from_str(text).unwrap();
        let mut errors = Vec::new();
        let config = doc.alerts.validate(&mut |p, m| errors.push((p, m)));
        assert_eq!(config.is_none(), !errors.is_empty(), "{errors:?}");
        (config, errors)
    }

    fn target(lines: &str) -> String {
        format!("[alerts]\n[[alerts.targets]]\n{lines}\n")
    }

    fn file(content: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(content).unwrap();
        f
    }

    #[test]
    fn defaults() {
        let (config, _) = validate(&target(
            "name = \"ops\"\nkind = \"webhook\"\nurl = \"https://h.example/x?k=secret\"",
        ));
        let config = config.unwrap();
        assert_eq!(config.test_cooldown, Duration::from_secs(10));
        let t = &config.targets[0];
        assert_eq!(t.kind, TargetKind::Webhook);
        assert_eq!(t.min_severity, Severity::Warning);
        assert_eq!(t.cooldown, Duration::from_secs(300));
        assert!(t.has_recovery);
        assert!(t.events.contains(&EventKind::OnBattery));
        assert!(t.events.contains(&EventKind::LowBattery));
        assert!(!t.events.contains(&EventKind::OnLine));
        assert!(t.events.iter().all(|k| k.severity() >= Severity::Warning));
        assert_eq!(t.redacted_url(), "https://h.example/…");
        assert!(!format!("{t:?}").contains("secret"));
        let (empty, _) = validate("[alerts]\n");
        assert!(empty.unwrap().targets.is_empty());
    }

    #[test]
    fn full_target() {
        let token = file(b"tk_abc\n");
        let text = format!(
            "[alerts]\nallow_private = [\"10.0.0.0/8\", \"ntfy.lan\"]\ntest_cooldown = \"30s\"\n\
             [[alerts.targets]]\nname = \"phone\"\nkind = \"ntfy\"\nurl = \"https://ntfy.lan:8443/ups\"\n\
             token_file = {:?}\nmin_severity = \"info\"\nevents = [\"on_battery\", \"on_line\"]\n\
             cooldown = \"1m\"\nrecovery = false\npriority = 4\ntags = [\"zap\"]\n\
             [[alerts.targets]]\nname = \"g\"\nkind = \"gotify\"\nurl = \"https://g.example/base/\"\ntoken = \"AppTok\"\npriority = 0\n",
            token.path()
        );
        let (config, _) = validate(&text);
        let config = config.unwrap();
        assert_eq!(config.test_cooldown, Duration::from_secs(30));
        let t = &config.targets[0];
        assert_eq!(t.token.as_ref().unwrap().expose(), "tk_abc");
        assert!(!format!("{t:?}").contains("tk_abc"));
        assert_eq!(
            t.events,
            BTreeSet::from([EventKind::OnBattery, EventKind::OnLine])
        );
        assert_eq!(
            (t.cooldown, t.has_recovery),
            (Duration::from_secs(60), false)
        );
        assert_eq!(
            (t.priority, t.tags.as_slice()),
            (Some(4), ["zap".to_owned()].as_slice())
        );
        assert_eq!(
            config.targets[1].url.as_str(),
            "https://g.example/base/message"
        );
        assert_eq!(config.targets[1].priority, Some(0));
        assert!(config.allow.allows_host("ntfy.lan"));
    }

    #[test]
    fn every_error_names_its_path() {
        let missing = "/nonexistent/upsight-test/token";
        let not_pem = file(b"not a certificate\n");
        let empty = file(b"\n");
        let cases: Vec<(String, &str, &str)> = vec![
            (
                target("name = \"a b\"\nkind = \"webhook\"\nurl = \"https://h.example/\""),
                "alerts.targets[0].name",
                "ASCII letters",
            ),
            (
                target("name = \"\"\nkind = \"webhook\"\nurl = \"https://h.example/\""),
                "alerts.targets[0].name",
                "1-64",
            ),
            (
                format!(
                    "{}[[alerts.targets]]\nname = \"a\"\nkind = \"slack\"\nurl = \"https://h.example/\"\n",
                    target("name = \"a\"\nkind = \"webhook\"\nurl = \"https://h.example/\"")
                ),
                "alerts.targets[1].name",
                "used twice",
            ),
            (
                target("name = \"a\"\nkind = \"email\"\nurl = \"https://h.example/\""),
                "alerts.targets[0].kind",
                "\"email\" is not one of",
            ),
            (
                target("name = \"a\"\nkind = \"webhook\"\nurl = \"http://h.example/\""),
                "alerts.targets[0].url",
                "alert targets must use https",
            ),
            (
                target("name = \"a\"\nkind = \"webhook\"\nurl = \"ftp://h.example/\""),
                "alerts.targets[0].url",
                "must use https",
            ),
            (
                target("name = \"a\"\nkind = \"webhook\"\nurl = \"h.example\""),
                "alerts.targets[0].url",
                "not a valid URL",
            ),
            (
                target("name = \"a\"\nkind = \"webhook\"\nurl = \"https://u:p@h.example/\""),
                "alerts.targets[0].url",
                "credentials",
            ),
            (
                target(
                    "name = \"a\"\nkind = \"webhook\"\nurl = \"https://h.example/\"\ntoken = \"x\"\ntoken_file = \"/x\"",
                ),
                "alerts.targets[0].token",
                "not both",
            ),
            (
                target(&format!(
                    "name = \"a\"\nkind = \"ntfy\"\nurl = \"https://h.example/\"\ntoken_file = {missing:?}"
                )),
                "alerts.targets[0].token_file",
                "cannot read",
            ),
            (
                target(&format!(
                    "name = \"a\"\nkind = \"ntfy\"\nurl = \"https://h.example/\"\ntoken_file = {:?}",
                    empty.path()
                )),
                "alerts.targets[0].token_file",
                "is empty",
            ),
            (
                target(
                    "name = \"a\"\nkind = \"ntfy\"\nurl = \"https://h.example/\"\ntoken = \"a b\"",
                ),
                "alerts.targets[0].token",
                "printable ASCII",
            ),
            (
                target("name = \"a\"\nkind = \"gotify\"\nurl = \"https://h.example/\""),
                "alerts.targets[0].token",
                "gotify needs token",
            ),
            (
                target(
                    "name = \"a\"\nkind = \"slack\"\nurl = \"https://h.example/\"\ntoken = \"t\"",
                ),
                "alerts.targets[0].token",
                "slack takes no token",
            ),
            (
                target(
                    "name = \"a\"\nkind = \"discord\"\nurl = \"https://h.example/\"\ntoken = \"t\"",
                ),
                "alerts.targets[0].token",
                "discord takes no token",
            ),
            (
                target(
                    "name = \"a\"\nkind = \"webhook\"\nurl = \"https://h.example/\"\nmin_severity = \"high\"",
                ),
                "alerts.targets[0].min_severity",
                "\"high\" is not one of info, warning, critical",
            ),
            (
                target(
                    "name = \"a\"\nkind = \"webhook\"\nurl = \"https://h.example/\"\nevents = []",
                ),
                "alerts.targets[0].events",
                "empty list",
            ),
            (
                target(
                    "name = \"a\"\nkind = \"webhook\"\nurl = \"https://h.example/\"\nevents = [\"on_battery\", \"onbatt\"]",
                ),
                "alerts.targets[0].events[1]",
                "unknown event kind \"onbatt\"",
            ),
            (
                target(
                    "name = \"a\"\nkind = \"webhook\"\nurl = \"https://h.example/\"\nevents = [\"on_line\"]",
                ),
                "alerts.targets[0].events[0]",
                "below min_severity warning",
            ),
            (
                target(
                    "name = \"a\"\nkind = \"webhook\"\nurl = \"https://h.example/\"\ncooldown = \"2days\"",
                ),
                "alerts.targets[0].cooldown",
                "out of range",
            ),
            (
                target(
                    "name = \"a\"\nkind = \"webhook\"\nurl = \"https://h.example/\"\npriority = 3",
                ),
                "alerts.targets[0].priority",
                "only ntfy and gotify",
            ),
            (
                target("name = \"a\"\nkind = \"ntfy\"\nurl = \"https://h.example/\"\npriority = 6"),
                "alerts.targets[0].priority",
                "6 is out of range (1-5)",
            ),
            (
                target("name = \"a\"\nkind = \"ntfy\"\nurl = \"https://h.example/\"\npriority = 0"),
                "alerts.targets[0].priority",
                "(1-5)",
            ),
            (
                target(
                    "name = \"a\"\nkind = \"gotify\"\nurl = \"https://h.example/\"\ntoken = \"t\"\npriority = 11",
                ),
                "alerts.targets[0].priority",
                "(0-10)",
            ),
            (
                target(
                    "name = \"a\"\nkind = \"slack\"\nurl = \"https://h.example/\"\ntags = [\"x\"]",
                ),
                "alerts.targets[0].tags",
                "only ntfy",
            ),
            (
                target(
                    "name = \"a\"\nkind = \"ntfy\"\nurl = \"https://h.example/\"\ntags = [\"ok\", \"a,b\"]",
                ),
                "alerts.targets[0].tags[1]",
                "without ','",
            ),
            (
                target(&format!(
                    "name = \"a\"\nkind = \"webhook\"\nurl = \"https://h.example/\"\nca_file = {missing:?}"
                )),
                "alerts.targets[0].ca_file",
                "cannot read",
            ),
            (
                target(&format!(
                    "name = \"a\"\nkind = \"webhook\"\nurl = \"https://h.example/\"\nca_file = {:?}",
                    not_pem.path()
                )),
                "alerts.targets[0].ca_file",
                "no PEM certificate",
            ),
            (
                "[alerts]\nallow_private = [\"10.0.0.0/8\", \"10.0.0.0/40\"]\n".into(),
                "alerts.allow_private[1]",
                "prefix length",
            ),
            (
                "[alerts]\nallow_private = [\"not a host\"]\n".into(),
                "alerts.allow_private[0]",
                "neither",
            ),
            (
                "[alerts]\ntest_cooldown = \"2h\"\n".into(),
                "alerts.test_cooldown",
                "out of range",
            ),
        ];
        for (text, path, message) in cases {
            let (_, errors) = validate(&text);
            assert!(
                errors.iter().any(|(p, m)| p == path && m.contains(message)),
                "want {path}: ...{message}... in {errors:?} for\n{text}"
            );
        }
    }

    #[test]
    fn url_errors_never_echo_the_url() {
        let (_, errors) = validate(&target(
            "name = \"a\"\nkind = \"slack\"\nurl = \"http://hooks.example/services/SECRETPATH\"",
        ));
        assert!(
            errors.iter().all(|(_, m)| !m.contains("SECRETPATH")),
            "{errors:?}"
        );
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let text =
            target("name = \"a\"\nkind = \"webhook\"\nurl = \"https://h.example/\"\nretries = 3");
        let err = toml::from_str::<Doc>(&text).unwrap_err();
        assert!(err.to_string().contains("unknown field `retries`"), "{err}");
        let err = toml::from_str::<Doc>("[alerts]\nallow = []\n").unwrap_err();
        assert!(err.to_string().contains("unknown field `allow`"), "{err}");
    }

    #[test]
    fn ca_bundle_loads() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["ca.test".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let pem = file(cert.pem().as_bytes());
        let (config, _) = validate(&target(&format!(
            "name = \"a\"\nkind = \"webhook\"\nurl = \"https://h.example/\"\nca_file = {:?}",
            pem.path()
        )));
        assert_eq!(config.unwrap().targets[0].ca.as_ref().unwrap().0.len(), 1);
    }

    #[tokio::test]
    async fn startup_check_refuses_non_public_targets() {
        let text = "[alerts]\nallow_private = [\"10.0.0.0/8\"]\n\
            [[alerts.targets]]\nname = \"meta\"\nkind = \"webhook\"\nurl = \"https://169.254.169.254/\"\n\
            [[alerts.targets]]\nname = \"lan\"\nkind = \"webhook\"\nurl = \"https://10.1.2.3/\"\n\
            [[alerts.targets]]\nname = \"local\"\nkind = \"webhook\"\nurl = \"https://localhost:1/\"\n";
        let (config, _) = validate(text);
        let errors = config.unwrap().check_targets().await.unwrap_err().0;
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            ["alerts.targets[0].url", "alerts.targets[2].url"],
            "{errors:?}"
        );
        assert!(errors[0].message.contains("link-local"), "{errors:?}");
        assert!(errors[1].message.contains("loopback"), "{errors:?}");
    }
}
