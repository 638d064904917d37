//! SNMP varbinds → readings. The MIB profile tables in `upsight_proto::snmp::profile` turn
//! what the agent answered into NUT-named variables in NUT units (scaling, sentinels, vendor
//! states → NUT status tokens); from there the NUT table makes the reading, so an SNMP UPS has
//! exactly the metrics a NUT UPS has.

use upsight_model::{Reading, Source};
use upsight_proto::snmp::profile::{self, Profile};
use upsight_proto::snmp::{Oid, Value};

use super::MappingError;

/// Maps one agent's varbinds, read with `profile`'s plan, to a reading. Pure.
pub fn map(profile: &'static Profile, values: &[(Oid, Value)]) -> Result<Reading, MappingError> {
    let decoded =
        profile::decode(profile, values).map_err(|e| MappingError::NotAUps(e.to_string()))?;
    let mut reading = super::nut::map(decoded.vars)?;
    reading.source = Source::Snmp;
    // The analytical path keeps every varbind as the agent sent it, beside the decoded names.
    reading.raw.extend(
        values
            .iter()
            .filter_map(|(oid, value)| Some((oid.to_string(), value.as_text()?))),
    );
    Ok(reading)
}
