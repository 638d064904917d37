//! The agent's socket: receive a datagram, answer it from the shared devices, apply the
//! device's fault, send. Everything else (decoding, semantics) happens in pure code.

use std::hash::{BuildHasher, RandomState};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::net::UdpSocket;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use upsight_proto::snmp::ber::{MAX_MESSAGE_BYTES, decode_message};

use super::{Shared, SnmpFault, battery, lock, responder};

/// Serves until `cancel` fires. Late responses are tasks owned here, so they end with it.
pub(super) async fn serve(socket: UdpSocket, shared: Arc<Shared>, cancel: CancellationToken) {
    let socket = Arc::new(socket);
    // One byte more than a message may have: an oversized datagram is cut to a length the
    // decoder refuses, never to a valid message.
    let mut buf = vec![0; MAX_MESSAGE_BYTES + 1];
    let mut late = JoinSet::new();
    loop {
        let received = tokio::select! {
            () = cancel.cancelled() => return,
            received = receive(&socket, &mut buf) => received,
        };
        while late.try_join_next().is_some() {}
        let Ok((len, peer)) = received else {
            continue;
        };
        shared.requests_received.fetch_add(1, Ordering::Relaxed);
        let Some((wire, fault)) = answer(&shared, &buf[..len]) else {
            continue;
        };
        if let Some(SnmpFault::Late(delay)) = fault {
            let (socket, shared) = (Arc::clone(&socket), Arc::clone(&shared));
            late.spawn(async move {
                tokio::time::sleep(delay).await;
                send(&socket, &shared, &wire, peer).await;
            });
        } else {
            send(&socket, &shared, &wire, peer).await;
        }
    }
}

/// The agent's one receive. An agent must learn each peer's address, so this is `recv_from`;
/// it waits without a deadline because a server waits for requests, and shutdown arrives
/// through the cancellation token in [`serve`].
#[allow(clippy::disallowed_methods)]
async fn receive(socket: &UdpSocket, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    socket.recv_from(buf).await
}

async fn send(socket: &UdpSocket, shared: &Shared, wire: &[u8], peer: SocketAddr) {
    if socket.send_to(wire, peer).await.is_ok() {
        shared.responses_sent.fetch_add(1, Ordering::Relaxed);
    }
}

/// The bytes to send back and the fault that applies, or `None` for silence: undecodable
/// input, an unknown community (real agents do not answer those either), a silent device,
/// or a PDU an agent drops.
fn answer(shared: &Shared, datagram: &[u8]) -> Option<(Vec<u8>, Option<SnmpFault>)> {
    let mut request = match decode_message(datagram) {
        Ok(request) => request,
        Err(error) => {
            tracing::debug!(%error, "Dropped an undecodable SNMP datagram.");
            return None;
        }
    };
    let (response, fault) = {
        let mut devices = lock(&shared.devices);
        let device = devices.get_mut(&request.community)?;
        let fault = device.fault;
        if fault == Some(SnmpFault::Silent) {
            return None;
        }
        if fault == Some(SnmpFault::WrongRequestId) {
            // Answering a request with another id gives every response (tooBig too) the wrong one.
            request.pdu.request_id = request.pdu.request_id.wrapping_add(1);
        }
        battery::refresh(device, Instant::now());
        let pdu = &request.pdu;
        let response =
            responder::respond(&mut device.mib, request.version, pdu, shared.max_varbinds)?;
        (response, fault)
    };
    let wire = responder::encode_within_limit(&request, response)?;
    if fault == Some(SnmpFault::Garbage) {
        return Some((garbage(), fault));
    }
    Some((wire, fault))
}

/// 16 to 79 random bytes that never start with 0x30, so they are never an SNMP message.
fn garbage() -> Vec<u8> {
    // A fresh `RandomState` is keyed differently each time: a dependency-free random seed.
    let mut state = RandomState::new().hash_one(0u8);
    let mut next = move || {
        // splitmix64
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let len = 16 + (next() % 64) as usize;
    let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
    if bytes.first() == Some(&0x30) {
        bytes[0] = 0xff;
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_never_a_message() {
        for _ in 0..200 {
            let bytes = garbage();
            assert!((16..80).contains(&bytes.len()));
            assert!(decode_message(&bytes).is_err());
        }
        assert_ne!(garbage(), garbage());
    }
}
