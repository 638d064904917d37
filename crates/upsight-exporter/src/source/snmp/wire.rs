//! Between our types and snmp2's: USM settings, OIDs, owned responses and error reasons.

use snmp2::Pdu;
use snmp2::v3;
use upsight_model::FailureReason;
use upsight_proto::snmp::{Oid, Value};

use super::Response;
use crate::config::{AuthProtocol, PrivProtocol, Usm};
use crate::source::PollError;

/// snmp2's USM settings from ours. The result holds passphrases and prints them in `Debug`:
/// it goes straight into the session and is never logged.
pub(super) fn usm_security(usm: &Usm) -> v3::Security {
    let auth_password = usm
        .auth
        .as_ref()
        .map(|(_, s)| s.expose().as_bytes())
        .unwrap_or_default();
    let mut security =
        v3::Security::new(usm.username.as_bytes(), auth_password).with_context_name(&usm.context);
    let auth_protocol = usm.auth.as_ref().map(|(p, _)| *p);
    security = match (auth_protocol, &usm.privacy) {
        (None, _) => security.with_auth(v3::Auth::NoAuthNoPriv),
        (Some(auth), None) => security
            .with_auth_protocol(wire_auth(auth))
            .with_auth(v3::Auth::AuthNoPriv),
        (Some(auth), Some((cipher, password))) => {
            let cipher = wire_cipher(*cipher);
            let security =
                security
                    .with_auth_protocol(wire_auth(auth))
                    .with_auth(v3::Auth::AuthPriv {
                        cipher,
                        privacy_password: password.expose().as_bytes().to_vec(),
                    });
            if cipher.priv_key_needs_extension(&wire_auth(auth)) {
                // net-snmp extends short localized keys the Blumenthal way (draft-blumenthal-aes-usm).
                security.with_key_extension_method(v3::KeyExtension::Blumenthal)
            } else {
                security
            }
        }
    };
    security
}

fn wire_auth(p: AuthProtocol) -> v3::AuthProtocol {
    match p {
        AuthProtocol::Md5 => v3::AuthProtocol::Md5,
        AuthProtocol::Sha1 => v3::AuthProtocol::Sha1,
        AuthProtocol::Sha224 => v3::AuthProtocol::Sha224,
        AuthProtocol::Sha256 => v3::AuthProtocol::Sha256,
        AuthProtocol::Sha384 => v3::AuthProtocol::Sha384,
        AuthProtocol::Sha512 => v3::AuthProtocol::Sha512,
    }
}

fn wire_cipher(p: PrivProtocol) -> v3::Cipher {
    match p {
        PrivProtocol::Des => v3::Cipher::Des,
        PrivProtocol::Aes128 => v3::Cipher::Aes128,
        PrivProtocol::Aes192 => v3::Cipher::Aes192,
        PrivProtocol::Aes256 => v3::Cipher::Aes256,
    }
}

pub(super) fn to_wire_oid(oid: &Oid) -> Result<snmp2::Oid<'static>, PollError> {
    let arcs: Vec<u64> = oid.arcs().iter().map(|&a| u64::from(a)).collect();
    snmp2::Oid::from(&arcs)
        .map_err(|e| PollError::new(FailureReason::Protocol, format!("OID {oid}: {e:?}")))
}

fn from_wire_oid(oid: &snmp2::Oid<'_>) -> Option<Oid> {
    let arcs = oid
        .iter()?
        .map(|a| u32::try_from(a).ok())
        .collect::<Option<Vec<u32>>>()?;
    Some(Oid::new(arcs))
}

/// Copies a response out of the session's buffer. Varbinds whose OID or value cannot be
/// represented make the response a protocol error.
pub(super) fn own(pdu: &Pdu<'_>) -> Result<Response, PollError> {
    let mut varbinds = Vec::new();
    for (oid, value) in pdu.varbinds.clone() {
        let oid = from_wire_oid(&oid).ok_or_else(|| {
            PollError::new(
                FailureReason::Protocol,
                "agent sent an OID with an arc above 2^32",
            )
        })?;
        let value = match value {
            snmp2::Value::Integer(v) => Value::Integer(v),
            snmp2::Value::OctetString(b) => Value::OctetString(b.to_vec()),
            snmp2::Value::ObjectIdentifier(o) => {
                from_wire_oid(&o).map(Value::Oid).unwrap_or(Value::Null)
            }
            snmp2::Value::IpAddress(a) => Value::IpAddress(a),
            snmp2::Value::Counter32(v) => Value::Counter32(v),
            snmp2::Value::Unsigned32(v) => Value::Gauge32(v),
            snmp2::Value::Timeticks(v) => Value::TimeTicks(v),
            snmp2::Value::Opaque(b) => Value::Opaque(b.to_vec()),
            snmp2::Value::Counter64(v) => Value::Counter64(v),
            snmp2::Value::EndOfMibView => Value::EndOfMibView,
            snmp2::Value::NoSuchObject => Value::NoSuchObject,
            snmp2::Value::NoSuchInstance => Value::NoSuchInstance,
            snmp2::Value::Boolean(b) => Value::Integer(i64::from(b)),
            _ => Value::Null,
        };
        varbinds.push((oid, value));
    }
    Ok(Response {
        error_status: pdu.error_status,
        error_index: pdu.error_index,
        varbinds,
    })
}

/// snmp2 errors → failure reasons. The detail never carries credentials (snmp2's errors hold
/// none; its `Security` is never formatted here).
pub(super) fn map_error(error: &snmp2::Error, is_v3: bool) -> PollError {
    use snmp2::Error as E;
    let reason = match error {
        E::AuthFailure(_) | E::Crypto(_) => FailureReason::AccessDenied,
        // On v3 the only non-Response message an agent sends back is a Report: USM refused us.
        E::AsnWrongType if is_v3 => FailureReason::AccessDenied,
        E::Send | E::Receive => FailureReason::Transport,
        _ => FailureReason::Protocol,
    };
    let detail = match (error, reason) {
        (E::AsnWrongType, FailureReason::AccessDenied) => {
            "agent answered with a Report: SNMPv3 user, keys or security level refused".to_owned()
        }
        _ => format!("SNMP: {error}"),
    };
    PollError::new(reason, detail)
}
