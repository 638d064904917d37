//! Shared helpers: the demo recordings, starting an agent, and a loopback manager.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::UdpSocket;
use upsight_proto::snmp::ber::{Message, Pdu, PduKind, Version, decode_message, encode_message};
use upsight_proto::snmp::snmprec::parse_snmprec;
use upsight_proto::snmp::{Oid, Value};
use upsight_sim::snmp::{SnmpAgent, SnmpHandle, demo_snmp_devices};

/// Generous: only a broken agent makes a test wait this long.
pub(crate) const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) fn oid(text: &str) -> Oid {
    text.parse().unwrap()
}

pub(crate) fn demo(name: &str) -> Vec<(Oid, Value)> {
    let (_, bytes) = demo_snmp_devices()
        .into_iter()
        .find(|(community, _)| *community == name)
        .unwrap();
    parse_snmprec(bytes).unwrap().entries
}

pub(crate) async fn start(agent: SnmpAgent) -> SnmpHandle {
    let agent = demo_snmp_devices()
        .into_iter()
        .fold(agent, |agent, (community, bytes)| {
            agent.with_device(community, parse_snmprec(bytes).unwrap())
        });
    agent.bind("127.0.0.1:0").await.unwrap()
}

/// A manager on a connected loopback socket.
pub(crate) struct Client {
    pub(crate) socket: UdpSocket,
}

impl Client {
    pub(crate) async fn connect(agent: SocketAddr) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        socket.connect(agent).await.unwrap();
        Self { socket }
    }

    pub(crate) async fn send(&self, version: Version, community: &str, pdu: Pdu) {
        let mut wire = Vec::new();
        let message = Message {
            version,
            community: community.as_bytes().to_vec(),
            pdu,
        };
        encode_message(&message, &mut wire);
        self.socket.send(&wire).await.unwrap();
    }

    pub(crate) async fn recv_bytes(&self) -> Vec<u8> {
        let mut buf = vec![0; 70_000];
        let n = tokio::time::timeout(REPLY_TIMEOUT, self.socket.recv(&mut buf))
            .await
            .expect("the agent answers")
            .unwrap();
        buf.truncate(n);
        buf
    }

    pub(crate) async fn recv(&self) -> Message {
        decode_message(&self.recv_bytes().await).unwrap()
    }

    pub(crate) async fn ask(&self, version: Version, community: &str, pdu: Pdu) -> Pdu {
        let request_id = pdu.request_id;
        self.send(version, community, pdu).await;
        let reply = self.recv().await;
        assert_eq!(reply.version, version);
        assert_eq!(reply.community, community.as_bytes());
        assert_eq!(reply.pdu.kind, PduKind::Response);
        assert_eq!(reply.pdu.request_id, request_id);
        reply.pdu
    }

    pub(crate) async fn get(&self, version: Version, community: &str, oids: &[&str]) -> Pdu {
        let pdu = Pdu::request(PduKind::Get, 11, oids.iter().map(|o| oid(o)));
        self.ask(version, community, pdu).await
    }
}
