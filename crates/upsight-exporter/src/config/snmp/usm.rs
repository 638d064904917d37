//! SNMPv3 user-based security (USM) settings: protocol names as net-snmp and snmp_exporter
//! spell them, and the `[[snmp]]` keys that only apply to version 3.

use std::fmt;

use super::{MIN_PASSPHRASE, RawSnmpDevice, SnmpSecurity, pick_secret};
use crate::config::Secret;

/// SNMPv3 user-based security.
#[derive(Debug, Clone)]
pub struct Usm {
    /// User name.
    pub username: String,
    /// Authentication, if any.
    pub auth: Option<(AuthProtocol, Secret)>,
    /// Privacy (needs authentication), if any.
    pub privacy: Option<(PrivProtocol, Secret)>,
    /// Context name.
    pub context: String,
}

/// USM authentication protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthProtocol {
    /// HMAC-MD5-96.
    Md5,
    /// HMAC-SHA-96.
    Sha1,
    /// HMAC-SHA-224 (RFC 7860).
    Sha224,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-384.
    Sha384,
    /// HMAC-SHA-512.
    Sha512,
}

/// USM privacy protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrivProtocol {
    /// CBC-DES.
    Des,
    /// CFB-AES-128 (RFC 3826).
    Aes128,
    /// AES-192 with the key extension net-snmp uses.
    Aes192,
    /// AES-256 with the key extension net-snmp uses.
    Aes256,
}

impl AuthProtocol {
    /// Parses the names net-snmp and snmp_exporter use, case-insensitively.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match normalize(text).as_str() {
            "MD5" => Self::Md5,
            "SHA" | "SHA1" => Self::Sha1,
            "SHA224" => Self::Sha224,
            "SHA256" => Self::Sha256,
            "SHA384" => Self::Sha384,
            "SHA512" => Self::Sha512,
            _ => return None,
        })
    }
}

impl PrivProtocol {
    /// Parses the names net-snmp and snmp_exporter use, case-insensitively.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match normalize(text).as_str() {
            "DES" => Self::Des,
            "AES" | "AES128" => Self::Aes128,
            "AES192" => Self::Aes192,
            "AES256" => Self::Aes256,
            _ => return None,
        })
    }
}

fn normalize(text: &str) -> String {
    text.trim().to_ascii_uppercase().replace(['-', '_'], "")
}

impl fmt::Display for AuthProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Md5 => "MD5",
            Self::Sha1 => "SHA",
            Self::Sha224 => "SHA224",
            Self::Sha256 => "SHA256",
            Self::Sha384 => "SHA384",
            Self::Sha512 => "SHA512",
        })
    }
}

impl RawSnmpDevice {
    pub(super) fn validate_usm(
        &self,
        has_community: bool,
        at: &dyn Fn(&str) -> String,
        fail: &mut dyn FnMut(String, String),
    ) -> Option<SnmpSecurity> {
        if has_community {
            fail(
                at("community"),
                "SNMPv3 uses username and passphrases, not a community".into(),
            );
        }
        let username = match self.username.as_deref() {
            Some(u) if !u.is_empty() && !u.contains(['\n', '\r']) => u.to_owned(),
            Some(_) => {
                fail(at("username"), "must be non-empty and on one line".into());
                return None;
            }
            None => {
                fail(at("username"), "SNMPv3 needs a username".into());
                return None;
            }
        };
        let level = self.security_level.as_deref().unwrap_or("authPriv");
        let (wants_auth, wants_priv) = match level {
            "noAuthNoPriv" => (false, false),
            "authNoPriv" => (true, false),
            "authPriv" => (true, true),
            other => {
                fail(
                    at("security_level"),
                    format!("{other:?} is not one of noAuthNoPriv, authNoPriv, authPriv"),
                );
                return None;
            }
        };
        let auth_protocol = match self.auth_protocol.as_deref() {
            None => Some(AuthProtocol::Sha1),
            Some(text) => AuthProtocol::parse(text).or_else(|| {
                fail(
                    at("auth_protocol"),
                    format!("{text:?} is not one of MD5, SHA, SHA224, SHA256, SHA384, SHA512"),
                );
                None
            }),
        };
        let priv_protocol = match self.priv_protocol.as_deref() {
            None => Some(PrivProtocol::Aes128),
            Some(text) => PrivProtocol::parse(text).or_else(|| {
                fail(
                    at("priv_protocol"),
                    format!("{text:?} is not one of DES, AES (AES128), AES192, AES256"),
                );
                None
            }),
        };
        let auth_password = pick_secret(
            self.auth_password.clone().map(|s| s.0),
            self.auth_password_file.clone(),
            "auth_password",
            at,
            fail,
        );
        let priv_password = pick_secret(
            self.priv_password.clone().map(|s| s.0),
            self.priv_password_file.clone(),
            "priv_password",
            at,
            fail,
        );
        let mut check = |key: &str, wanted: bool, secret: &Option<Secret>, proto_set: bool| {
            match (wanted, secret) {
                (true, None) => fail(
                    at(key),
                    format!("security_level {level} needs {key} or {key}_file"),
                ),
                (true, Some(s)) if s.expose().len() < MIN_PASSPHRASE => fail(
                    at(key),
                    format!("is shorter than {MIN_PASSPHRASE} characters (USM refuses it)"),
                ),
                (false, Some(_)) => fail(at(key), format!("is set, but security_level is {level}")),
                _ => {}
            }
            if proto_set && !wanted {
                let proto_key = key.replace("_password", "_protocol");
                fail(
                    at(&proto_key),
                    format!("is set, but security_level is {level}"),
                );
            }
        };
        check(
            "auth_password",
            wants_auth,
            &auth_password,
            self.auth_protocol.is_some(),
        );
        check(
            "priv_password",
            wants_priv,
            &priv_password,
            self.priv_protocol.is_some(),
        );
        let auth = match (wants_auth, auth_protocol, auth_password) {
            (true, Some(p), Some(s)) => Some((p, s)),
            (true, _, _) => return None,
            (false, _, _) => None,
        };
        let privacy = match (wants_priv, priv_protocol, priv_password) {
            (true, Some(p), Some(s)) => Some((p, s)),
            (true, _, _) => return None,
            (false, _, _) => None,
        };
        Some(SnmpSecurity::V3(Usm {
            username,
            auth,
            privacy,
            context: self.context.clone().unwrap_or_default(),
        }))
    }
}
