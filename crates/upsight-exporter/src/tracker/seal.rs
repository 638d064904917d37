//! Secrets that reach the exporter through the admin API, sealed in the state file.
//!
//! A device added through the API (`POST`/`PUT /api/v1/devices`) or an alert configuration set
//! through it (`PUT /api/v1/alerts`) may carry inline secrets: a NUT password, an SNMP
//! community or passphrase, an alert token, a Slack or Discord URL (its path is the secret).
//! They are kept in memory as given and written to `exporter.json` only sealed with
//! AES-256-GCM under the key of `state_key_file`, each with its own random 96-bit nonce, as
//! `sealed:v1:<hex of nonce and ciphertext>`. Without a key the API refuses inline secrets
//! instead of storing them in clear. The API never accepts `*_file` keys: they would let an
//! API client make the exporter read any file it can and send its content to an address of the
//! client's choosing.

use std::fmt;
use std::path::Path;

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

use super::ExporterState;
use crate::alert::RawAlerts;
use crate::config::{RawSecret, RuntimeDevice};

/// What a sealed value starts with in the state file.
pub const SEALED_PREFIX: &str = "sealed:v1:";
/// Bound into every seal, so a sealed value only opens as an exporter state secret.
const AAD: &[u8] = b"upsight-exporter-state-secret-v1";
const TAG_LEN: usize = 16;

/// The AES-256 key of `state_key_file`.
pub struct StateKey(LessSafeKey);

impl fmt::Debug for StateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StateKey(<redacted>)")
    }
}

impl StateKey {
    /// Reads a key file: 64 hexadecimal digits (256 bits), surrounding whitespace ignored, as
    /// `openssl rand -hex 32` writes it.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::from_hex(text.trim()).map_err(|m| {
            format!(
                "{}: {m}; create one with `openssl rand -hex 32`",
                path.display()
            )
        })
    }

    /// A key from 64 hexadecimal digits.
    pub fn from_hex(hex: &str) -> Result<Self, String> {
        let bytes = decode_hex(hex)
            .filter(|b| b.len() == 32)
            .ok_or_else(|| "the key must be exactly 64 hexadecimal digits (256 bits)".to_owned())?;
        let key = UnboundKey::new(&AES_256_GCM, &bytes)
            .map_err(|_| "the key is not a valid AES-256 key".to_owned())?;
        Ok(Self(LessSafeKey::new(key)))
    }

    /// Seals `plain` under a fresh random nonce.
    fn seal(&self, plain: &str) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| SealError::Random)?;
        let mut buffer = plain.as_bytes().to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(AAD),
                &mut buffer,
            )
            .map_err(|_| SealError::Random)?;
        let mut out = String::with_capacity(SEALED_PREFIX.len() + 2 * (NONCE_LEN + buffer.len()));
        out.push_str(SEALED_PREFIX);
        encode_hex(&nonce, &mut out);
        encode_hex(&buffer, &mut out);
        Ok(out)
    }

    /// Opens a value written by [`StateKey::seal`] (without its prefix).
    fn open(&self, hex: &str) -> Result<String, SealError> {
        let bytes = decode_hex(hex).ok_or(SealError::Malformed)?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(SealError::Malformed);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Malformed)?;
        let mut buffer = sealed.to_vec();
        let plain = self
            .0
            .open_in_place(nonce, Aad::from(AAD), &mut buffer)
            .map_err(|_| SealError::WrongKey)?;
        String::from_utf8(plain.to_vec()).map_err(|_| SealError::Malformed)
    }
}

/// Why secrets could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The state holds sealed secrets and no `state_key_file` is configured.
    #[error(
        "it holds secrets sealed with a state key, and no state_key_file is configured: configure the key they were sealed with"
    )]
    NoKey,
    /// A sealed secret does not open with the configured key (another key, or tampering).
    #[error(
        "a sealed secret does not open with the configured state_key_file: it was sealed with another key, or the file was altered"
    )]
    WrongKey,
    /// A sealed value is not hexadecimal of a nonce, a ciphertext and a tag.
    #[error("a sealed secret is malformed")]
    Malformed,
    /// The operating system's random source failed.
    #[error("the operating system's random number generator failed")]
    Random,
}

/// Every inline secret of a runtime device, mutably.
fn device_secrets(device: &mut RuntimeDevice) -> Vec<&mut String> {
    let mut out = Vec::new();
    if let Some(nut) = &mut device.nut {
        out.extend(nut.password.as_mut().map(|s| &mut s.0));
    }
    if let Some(snmp) = &mut device.snmp {
        for secret in [
            &mut snmp.community,
            &mut snmp.auth_password,
            &mut snmp.priv_password,
        ] {
            out.extend(secret.as_mut().map(|s: &mut RawSecret| &mut s.0));
        }
    }
    out
}

/// Whether an alert target's URL carries its secret (Slack and Discord incoming webhooks).
fn url_is_secret(kind: &str) -> bool {
    matches!(kind, "slack" | "discord")
}

/// Every inline secret of an alert configuration, mutably.
fn alert_secrets(alerts: &mut RawAlerts) -> Vec<&mut String> {
    let mut out = Vec::new();
    for target in &mut alerts.targets {
        if url_is_secret(&target.kind) {
            out.push(&mut target.url);
        }
        out.extend(target.token.as_mut().map(|s| &mut s.0));
    }
    out
}

fn state_secrets(state: &mut ExporterState) -> Vec<&mut String> {
    let mut out: Vec<&mut String> = state
        .runtime
        .values_mut()
        .flat_map(device_secrets)
        .collect();
    if let Some(alerts) = &mut state.alerts {
        out.extend(alert_secrets(alerts));
    }
    out
}

/// Seals every inline secret of `state` (a copy about to be saved). Without a key there are
/// none: the API refuses them.
pub fn seal(state: &mut ExporterState, key: Option<&StateKey>) -> Result<(), SealError> {
    let Some(key) = key else {
        return Ok(());
    };
    for secret in state_secrets(state) {
        *secret = key.seal(secret)?;
    }
    Ok(())
}

/// Opens every sealed secret of a loaded `state`.
pub fn open(state: &mut ExporterState, key: Option<&StateKey>) -> Result<(), SealError> {
    for secret in state_secrets(state) {
        let Some(hex) = secret.strip_prefix(SEALED_PREFIX) else {
            // Stored in clear by a version before sealing; sealed at the next save.
            continue;
        };
        let plain = key.ok_or(SealError::NoKey)?.open(hex)?;
        *secret = plain;
    }
    Ok(())
}

/// Why an API body is refused before validation, naming the key; `None` if acceptable.
fn refusal(file_keys: &[(&str, bool)], secrets: &[&mut String], has_key: bool) -> Option<String> {
    if let Some((name, _)) = file_keys.iter().find(|(_, set)| *set) {
        return Some(format!(
            "{name}: *_file keys are not accepted through the API (they would let an API client \
             make the exporter read any file); send the secret inline, which needs \
             state_key_file, or put the device in the configuration file"
        ));
    }
    if secrets.iter().any(|s| s.starts_with(SEALED_PREFIX)) {
        return Some(format!(
            "a secret may not start with {SEALED_PREFIX:?}: that marks sealed values"
        ));
    }
    if !has_key && !secrets.is_empty() {
        return Some(
            "inline secrets are stored only sealed, and no state_key_file is configured: \
             configure one (see docs/configuration.md) or put the device in the configuration \
             file"
                .into(),
        );
    }
    None
}

/// Checks a device body from the API: no `*_file` keys; inline secrets only with a key.
pub fn check_api_device(device: &RuntimeDevice, has_key: bool) -> Result<(), String> {
    let mut copy = device.clone();
    let mut file_keys = Vec::new();
    if let Some(nut) = &device.nut {
        file_keys.push(("nut.password_file", nut.password_file.is_some()));
    }
    if let Some(snmp) = &device.snmp {
        file_keys.push(("snmp.community_file", snmp.community_file.is_some()));
        file_keys.push(("snmp.auth_password_file", snmp.auth_password_file.is_some()));
        file_keys.push(("snmp.priv_password_file", snmp.priv_password_file.is_some()));
    }
    refusal(&file_keys, &device_secrets(&mut copy), has_key).map_or(Ok(()), Err)
}

/// Checks an alert configuration from the API like [`check_api_device`]; `ca_file` is refused
/// too (a file the exporter would read).
pub fn check_api_alerts(alerts: &RawAlerts, has_key: bool) -> Result<(), String> {
    let mut copy = alerts.clone();
    let mut names = Vec::new();
    for (i, target) in alerts.targets.iter().enumerate() {
        if target.token_file.is_some() {
            names.push(format!("targets[{i}].token_file"));
        }
        if target.ca_file.is_some() {
            names.push(format!("targets[{i}].ca_file"));
        }
    }
    let file_keys: Vec<(&str, bool)> = names.iter().map(|n| (n.as_str(), true)).collect();
    refusal(&file_keys, &alert_secrets(&mut copy), has_key).map_or(Ok(()), Err)
}

fn encode_hex(bytes: &[u8], out: &mut String) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
#[path = "seal/tests.rs"]
mod tests;
