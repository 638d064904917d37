//! `upsc`-format device files: `.dev` (one state) and `.seq` (states separated by `TIMER <s>`
//! lines, played in a loop), as NUT's `dummy-ups` reads them.

use std::time::Duration;

/// A device's variables, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Device {
    /// `(name, value)` pairs.
    pub vars: Vec<(String, String)>,
}

/// One step of a scenario: variables to set, then how long to hold them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Variables changed by this step.
    pub set: Vec<(String, String)>,
    /// How long the state holds before the next step.
    pub hold: Duration,
}

/// A looping sequence of steps (a `.seq` file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// The steps, played in order, then from the start again.
    pub steps: Vec<Step>,
}

/// Why a device file could not be read. Names the line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct DevFileError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong, with the offending text.
    pub message: String,
}

impl Device {
    /// Parses a `.dev` file. `TIMER` lines are refused (that is a `.seq`).
    pub fn parse(text: &str) -> Result<Self, DevFileError> {
        let scenario = Scenario::parse(text)?;
        if scenario.steps.len() > 1 || scenario.steps.iter().any(|s| !s.hold.is_zero()) {
            let line = text
                .lines()
                .position(|l| l.trim_start().starts_with("TIMER"))
                .unwrap_or(0)
                + 1;
            return Err(DevFileError {
                line,
                message: "TIMER lines belong in a .seq file".into(),
            });
        }
        Ok(Self {
            vars: scenario.steps.into_iter().flat_map(|s| s.set).collect(),
        })
    }
}

impl Scenario {
    /// Parses a `.seq` file (a `.dev` file is a one-step scenario with no timer).
    pub fn parse(text: &str) -> Result<Self, DevFileError> {
        let mut steps = Vec::new();
        let mut current = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let err = |message: String| DevFileError {
                line: i + 1,
                message,
            };
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(secs) = line.strip_prefix("TIMER") {
                let secs: f64 = secs
                    .trim()
                    .parse()
                    .map_err(|_| err(format!("bad TIMER value {:?}", secs.trim())))?;
                if !(0.0..=86_400.0).contains(&secs) {
                    return Err(err(format!("TIMER {secs} is out of range (0 to 86400 s)")));
                }
                steps.push(Step {
                    set: std::mem::take(&mut current),
                    hold: Duration::from_secs_f64(secs),
                });
                continue;
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| err(format!("expected `name: value`, got {line:?}")))?;
            let name = name.trim();
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            {
                return Err(err(format!("bad variable name {name:?}")));
            }
            current.push((name.to_owned(), value_of(value)));
        }
        if !current.is_empty() || steps.is_empty() {
            steps.push(Step {
                set: current,
                hold: Duration::ZERO,
            });
        }
        Ok(Self { steps })
    }

    /// Whether the scenario changes over time.
    pub fn is_dynamic(&self) -> bool {
        self.steps.len() > 1
    }
}

/// The value part of a line: `"quoted"` keeps inner spaces (backslash escapes a character);
/// otherwise an unquoted `#` starts a comment (NUT's parser: nut-ddl dumps annotate values
/// with `\t#BAD: ...`).
fn value_of(raw: &str) -> String {
    let raw = raw.trim();
    if let Some(body) = raw.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => out.extend(chars.next()),
                '"' => return out,
                c => out.push(c),
            }
        }
        return out;
    }
    raw.split('#').next().unwrap_or_default().trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_file_with_comments_quotes_and_empty_values() {
        let d = Device::parse(
            "# c\nups.status: OL\t#COMMENT: x\n\ndevice.model: \"Back  UPS \\\" #1\"\nups.alarm:\n",
        )
        .unwrap();
        assert_eq!(
            d.vars,
            vec![
                ("ups.status".into(), "OL".into()),
                ("device.model".into(), "Back  UPS \" #1".into()),
                ("ups.alarm".into(), String::new()),
            ]
        );
    }

    #[test]
    fn seq_file_steps_and_errors() {
        let s = Scenario::parse("ups.status: OL\nTIMER 5\nups.status: OB\nTIMER 0.5\n").unwrap();
        assert_eq!(s.steps.len(), 2);
        assert_eq!(s.steps[1].hold, Duration::from_millis(500));
        assert!(s.is_dynamic());
        let e = Scenario::parse("ups.status: OL\nTIMER soon\n").unwrap_err();
        assert_eq!(e.to_string(), "line 2: bad TIMER value \"soon\"");
        let e = Scenario::parse("no colon here\n").unwrap_err();
        assert_eq!(e.line, 1);
        let e = Device::parse("a: 1\nTIMER 3\nb: 2\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = Scenario::parse("bad name: 1\n").unwrap_err();
        assert!(e.message.contains("bad variable name"));
    }
}
