//! Input shaping shared by the fuzz targets in `fuzz_targets/`: a scripted SNMP agent that
//! turns fuzz bytes into responses ([`agent`]), and a pre-scan of TOML text that keeps the
//! config targets away from device files and knows which values are secrets ([`toml_scan`]).

pub mod agent;
pub mod toml_scan;
