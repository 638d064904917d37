//! Summaries of the exporter's log.

/// Each distinct WARN or ERROR message of a text log with how often it was logged.
pub(crate) fn log_summary(log: &str) -> String {
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for line in log.lines() {
        let plain = strip_ansi(line);
        let Some(at) = plain.find(" WARN ").or_else(|| plain.find(" ERROR ")) else {
            continue;
        };
        let rest = plain[at..].trim_start();
        // `LEVEL target: Message. fields…`: the message ends at its first full stop.
        let message = rest.split_once(". ").map_or(rest, |(m, _)| m);
        *counts.entry(message.to_owned()).or_default() += 1;
    }
    counts
        .iter()
        .map(|(message, n)| format!("  {n:>3} x {message}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `line` without ANSI colour sequences (the text log colours even when not on a terminal).
pub(crate) fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters final-letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
