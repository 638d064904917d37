//! The `Schema` trait: what a state type declares so the store can name, version and migrate it.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::MigrationError;

/// A state type the store can persist.
///
/// `NAME` tells the roles' files apart (an exporter never loads a fleet file), and `VERSION` is
/// the version written by [`Store::save`](crate::Store::save). Bump `VERSION` whenever the JSON
/// shape of the type changes in a way old files do not fit, and teach `migrate` the step.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use serde_json::{Value, json};
/// use upsight_store::{MigrationError, Schema};
///
/// #[derive(Default, Serialize, Deserialize)]
/// struct Energy {
///     total_watt_hours: f64,
/// }
///
/// impl Schema for Energy {
///     const NAME: &'static str = "energy";
///     const VERSION: u32 = 2;
///
///     // v1 stored kilowatt-hours as `total_kwh`.
///     fn migrate(from: u32, data: Value) -> Result<Value, MigrationError> {
///         match from {
///             1 => {
///                 let kwh = data["total_kwh"]
///                     .as_f64()
///                     .ok_or_else(|| MigrationError::invalid(from, "total_kwh is not a number"))?;
///                 Ok(json!({ "total_watt_hours": kwh * 1000.0 }))
///             }
///             _ => Err(MigrationError::Unsupported { from }),
///         }
///     }
/// }
/// ```
pub trait Schema: Serialize + DeserializeOwned + Default {
    /// The schema name written into, and required from, every file of this type.
    const NAME: &'static str;
    /// The current version, at least 1. Files with a newer version are refused.
    const VERSION: u32;

    /// Turns version `from` data into version `from + 1` data.
    ///
    /// Called once per step, oldest first, for `from` in `file version..VERSION`, so each step
    /// only knows its neighbour. Must be a pure function of its arguments. The default refuses
    /// every step (no migrations yet).
    fn migrate(from: u32, data: Value) -> Result<Value, MigrationError> {
        drop(data);
        Err(MigrationError::Unsupported { from })
    }
}

/// A migration step written as a typed conversion: deserialize `Old`, convert with
/// `From<Old> for New`, serialize `New`.
///
/// This keeps each shipped version as its own struct with a pure `From` impl:
///
/// ```
/// # use serde::{Deserialize, Serialize};
/// # use serde_json::Value;
/// # use upsight_store::{MigrationError, Schema, migrate_typed};
/// #[derive(Deserialize)]
/// struct StateV1 { name: String }
///
/// #[derive(Default, Serialize, Deserialize)]
/// struct State { names: Vec<String> }
///
/// impl From<StateV1> for State {
///     fn from(v1: StateV1) -> Self {
///         Self { names: vec![v1.name] }
///     }
/// }
///
/// impl Schema for State {
///     const NAME: &'static str = "names";
///     const VERSION: u32 = 2;
///
///     fn migrate(from: u32, data: Value) -> Result<Value, MigrationError> {
///         match from {
///             1 => migrate_typed::<StateV1, State>(from, data),
///             _ => Err(MigrationError::Unsupported { from }),
///         }
///     }
/// }
/// ```
///
/// # Errors
///
/// [`MigrationError::Invalid`] when `data` is not a valid `Old` or `New` cannot be serialized.
pub fn migrate_typed<Old, New>(from: u32, data: Value) -> Result<Value, MigrationError>
where
    Old: DeserializeOwned,
    New: From<Old> + Serialize,
{
    let old: Old =
        serde_json::from_value(data).map_err(|e| MigrationError::invalid(from, e.to_string()))?;
    serde_json::to_value(New::from(old)).map_err(|e| MigrationError::invalid(from, e.to_string()))
}
