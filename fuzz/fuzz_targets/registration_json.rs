//! Fuzz target `registration_json`: a hostile exporter posting `POST /api/v1/register`, and a
//! hostile plane answering one.
//!
//! The bytes go through what the plane's ingest handler does with a registration body
//! (`serde_json::from_slice::<RegisterRequestV1>` then `validate`). An accepted request must
//! round-trip through JSON, keep a presented lease out of `Debug`, and register: the answer
//! passes the exporter's own check, a re-registration with the returned lease keeps the
//! number, the same identity from another address without a lease is refused while it is
//! alive, and a scrape target shows up in the http_sd targets exactly as sent.
//!
//! The same bytes also go through what the exporter does with the plane's answer
//! (`RegisterResponseV1` then `validate`); an accepted answer must round-trip too.

#![no_main]

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use upsight_fleet::{LeaseKey, RegisterError, Registry, RegistryConfig};
use upsight_model::{RegisterRequestV1, RegisterResponseV1};

fuzz_target!(|data: &[u8]| {
    let request = serde_json::from_slice::<RegisterRequestV1>(data)
        .map_err(|e| e.to_string())
        .and_then(|r| r.validate().map(|()| r).map_err(|e| e.to_string()));
    if let Ok(request) = request {
        check_request(&request);
        check_registry(&request);
    }
    if let Ok(response) = serde_json::from_slice::<RegisterResponseV1>(data)
        && response.validate().is_ok()
    {
        let wire = serde_json::to_vec(&response).expect("a response serializes");
        let again: RegisterResponseV1 =
            serde_json::from_slice(&wire).expect("a response reads back");
        assert_eq!(again, response);
        assert!(response.ttl_seconds > response.heartbeat_interval_seconds);
    }
});

fn check_request(request: &RegisterRequestV1) {
    let wire = serde_json::to_vec(request).expect("a request serializes");
    let again: RegisterRequestV1 = serde_json::from_slice(&wire).expect("a request reads back");
    assert_eq!(&again, request);
    assert_eq!(again.validate(), Ok(()));
    let mut other = request.clone();
    other.lease = request.lease.as_ref().map(|_| "x".to_owned());
    assert_eq!(
        format!("{request:?}"),
        format!("{other:?}"),
        "Debug shows the lease"
    );
}

fn check_registry(request: &RegisterRequestV1) {
    let key = LeaseKey::from_bytes([7; 32]);
    let mut registry =
        Registry::try_new(RegistryConfig::default()).expect("the default config is valid");
    let peer = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    // A first contact: a presented lease is for a member this empty registry never had, and
    // an unknown identity is admitted whatever lease it brings.
    let first = registry
        .register(request, peer, now, &key)
        .expect("the first member of an empty registry is admitted");
    assert!(first.is_new && !first.is_conflict);
    assert_eq!(first.response.member_number, 1);
    assert_eq!(
        first.response.validate(),
        Ok(()),
        "the exporter would refuse the answer"
    );

    let mut again = request.clone();
    again.lease = Some(first.response.lease.clone());
    let later = now + Duration::from_secs(1);
    let renewed = registry
        .register(&again, peer, later, &key)
        .expect("the member's own lease renews it");
    assert!(!renewed.is_new);
    assert_eq!(renewed.response.member_number, 1);
    assert_ne!(
        renewed.response.lease, first.response.lease,
        "leases rotate"
    );

    let mut intruder = request.clone();
    intruder.lease = None;
    let elsewhere = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));
    let refused = registry.register(&intruder, elsewhere, later, &key);
    assert!(
        matches!(
            refused,
            Err(RegisterError::LeaseMismatch {
                is_conflict: true,
                ..
            })
        ),
        "{refused:?}"
    );

    // A target reaches http_sd as sent exactly when the discovery policy lists it for the
    // registering address; otherwise it is dropped and reported.
    let targets = registry.targets();
    match &request.scrape_target {
        Some(target) if registry.config().is_listed_target(target, peer) => {
            assert_eq!(targets.len(), 1);
            assert_eq!(&targets[0].scrape_target, target);
            assert_eq!(first.dropped_target, None);
        }
        Some(target) => {
            assert!(targets.is_empty());
            assert_eq!(first.dropped_target.as_ref(), Some(target));
        }
        None => assert!(targets.is_empty() && first.dropped_target.is_none()),
    }
}
