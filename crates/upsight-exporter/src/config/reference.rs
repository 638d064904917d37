//! Keeps `docs/configuration.md` in step with the configuration types: every key a section
//! accepts (read from the type itself, through the field list serde hands a deserializer)
//! must be documented in that section's part of the file.

use serde::de::{self, Deserialize, Visitor};

/// A deserializer that only records the field names of the struct asked for.
#[derive(Debug, Default)]
struct FieldNames(&'static [&'static str]);

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field names recorded")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Self
    }
}

impl<'de> de::Deserializer<'de> for &mut FieldNames {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        self.0 = fields;
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// The keys a `T` section accepts.
pub fn keys<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut names = FieldNames::default();
    let _ = T::deserialize(&mut names);
    names.0
}

/// The part of `doc` from the heading line `heading` to the next heading of the same or a
/// higher level.
pub fn section<'a>(doc: &'a str, heading: &str) -> &'a str {
    let Some(start) = doc.find(&format!("\n{heading}\n")) else {
        return "";
    };
    let level = heading.split(' ').next().unwrap_or("##").len();
    let body = &doc[start + heading.len() + 2..];
    let end = body
        .match_indices("\n#")
        .find(|(i, _)| {
            let line = &body[i + 1..];
            let hashes = line.chars().take_while(|c| *c == '#').count();
            hashes <= level && line[hashes..].starts_with(' ')
        })
        .map_or(body.len(), |(i, _)| i);
    &body[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{RawAlerts, RawTarget};
    use crate::config::analytics::RawAnalytics;
    use crate::config::fleet::RawFleet;
    use crate::config::http::RawHttp;
    use crate::config::snmp::RawSnmpDevice;
    use crate::config::{RawConfig, RawNutServer};

    const DOC: &str = include_str!("../../../../docs/configuration.md");

    #[test]
    fn every_key_of_every_section_is_documented() {
        let sections: [(&str, &[&str]); 8] = [
            ("## Top-level keys", keys::<RawConfig>()),
            ("## `[[nut]]` keys", keys::<RawNutServer>()),
            ("## `[[snmp]]` keys", keys::<RawSnmpDevice>()),
            ("## `[http]` keys", keys::<RawHttp>()),
            ("## `[alerts]` keys", keys::<RawAlerts>()),
            ("## `[alerts]` keys", keys::<RawTarget>()),
            ("## `[fleet]` keys", keys::<RawFleet>()),
            ("## `[analytics]` keys", keys::<RawAnalytics>()),
        ];
        let mut missing = Vec::new();
        for (heading, fields) in sections {
            assert!(fields.len() >= 3, "{heading}: {fields:?}");
            let text = section(DOC, heading);
            assert!(!text.is_empty(), "no {heading:?} in docs/configuration.md");
            for field in fields {
                if !text.contains(&format!("`{field}`")) {
                    missing.push(format!("{heading}: {field}"));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys the code accepts but docs/configuration.md does not document: {missing:?}"
        );
    }

    #[test]
    fn the_field_list_comes_from_the_type() {
        assert!(keys::<RawAnalytics>().contains(&"queue_rows"));
        assert!(keys::<RawConfig>().contains(&"state_dir"));
        let doc = "intro\n## A\none `a`\n### A.1\nsub\n## B\ntwo\n";
        assert_eq!(section(doc, "## A"), "one `a`\n### A.1\nsub");
        assert_eq!(section(doc, "## B"), "two\n");
        assert_eq!(section(doc, "## C"), "");
    }
}
