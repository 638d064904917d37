//! Renders `docs/metrics.md` from the metric tables; a test keeps the file current.

use std::fmt::Write as _;

use upsight_model::{FailureReason, StatusFlag};

use super::{
    LAST_SUCCESS, MEASURES, POLL_DURATION, SOURCE_UP, STALE, STATUS, STATUS_OTHER, UP,
    extra_labels, help, nut_vars,
};

/// Renders `docs/metrics.md` from the tables above.
pub fn render_reference() -> String {
    let mut out = String::from(
        "# Metrics reference\n\n<!-- Generated from crates/upsight-exporter/src/metrics.rs and \
         mapping/nut.rs by `UPSIGHT_BLESS=1 cargo test -p upsight-exporter metrics_reference`; \
         do not edit. -->\n\nEvery device series carries the label `ups` (the configured or \
         discovered device name, with the server's `prefix`). Values are in base SI units; \
         percentages are exported as ratios 0..1. No sample timestamps are sent. No serial \
         number, location, contact, MAC or IP address, host name, user name or free-text \
         description ever appears in names or values.\n\n## Device state\n\n\
         | metric | type | labels | meaning |\n|---|---|---|---|\n",
    );
    let fixed = [
        (UP, "gauge", "ups", help::UP),
        (STALE, "gauge", "ups", help::STALE),
        (LAST_SUCCESS, "gauge", "ups", help::LAST_SUCCESS),
        (STATUS, "gauge", "ups, flag", help::STATUS),
        (STATUS_OTHER, "gauge", "ups", help::STATUS_OTHER),
        (
            "ups_info",
            "info",
            "ups, source, driver, manufacturer, model, firmware, type",
            help::INFO,
        ),
    ];
    for (name, kind, labels, text) in fixed {
        let _ = writeln!(out, "| `{name}` | {kind} | {labels} | {text} |");
    }
    let flags: Vec<_> = StatusFlag::KNOWN.iter().map(|f| format!("`{f}`")).collect();
    let _ = write!(
        out,
        "\n`flag` takes exactly these values: {}. Any other token counts in `ups_status_other`.\n\
         \n## Measured values\n\nExported only while `ups_up` is 1.\n\n\
         | metric | labels | meaning | NUT variables |\n|---|---|---|---|\n",
        flags.join(", ")
    );
    for m in MEASURES {
        let labels = match extra_labels(m.quantity) {
            "" => "ups".to_owned(),
            extra => format!("ups, {extra}"),
        };
        let _ = writeln!(
            out,
            "| `{}` | {labels} | {} | {} |",
            m.name,
            m.description,
            nut_vars(m.quantity)
        );
    }
    let reasons: Vec<_> = FailureReason::ALL
        .iter()
        .map(|r| format!("`{}`", r.as_str()))
        .collect();
    let _ = write!(
        out,
        "\n## Exporter self metrics\n\n| metric | type | labels | meaning |\n|---|---|---|---|\n\
         | `upsight_build_info` | info | version, revision | {} |\n\
         | `{SOURCE_UP}` | gauge | source | {} |\n\
         | `{POLL_DURATION}` | gauge | ups | {} |\n\
         | `upsight_polls_total` | counter | ups | {} |\n\
         | `upsight_poll_failures_total` | counter | ups, reason | {} |\n\
         \n`reason` takes exactly these values: {}.\n",
        help::BUILD,
        help::SOURCE_UP,
        help::POLL_DURATION,
        help::POLLS,
        help::POLL_FAILURES,
        reasons.join(", ")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_reference_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/metrics.md");
        let want = render_reference();
        if std::env::var_os("UPSIGHT_BLESS").is_some() {
            let mut f = std::fs::File::create(path).unwrap();
            std::io::Write::write_all(&mut f, want.as_bytes()).unwrap();
        }
        let got = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            got == want,
            "docs/metrics.md is stale: run `UPSIGHT_BLESS=1 cargo test -p upsight-exporter metrics_reference`"
        );
    }
}
