//! The analytical path over TLS: the sink and the reader reach a real ClickHouse
//! (`clickhouse-server` on loopback) through an HTTPS endpoint whose certificate is signed by
//! a private CA (a rustls terminator in front of the server's HTTP port). With `ca_file` they
//! work; without it the certificate is refused and nothing is written, the breaker stays open
//! and the rows stay queued.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use upsight_analytics::reads::{Period, Reader};
use upsight_analytics::{Password, Settings, Sink, SinkConfig};
use upsight_e2e::clickhouse::{self, ClickHouse};
use upsight_model::{DeviceState, Identity, Outcome, Reading, Source, Status};

/// A CA file and a TLS endpoint for 127.0.0.1 signed by it, forwarding to `backend`.
async fn terminator(backend: std::net::SocketAddr) -> (tempfile::NamedTempFile, u16) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "upsight analytics test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .unwrap();
    let mut ca_file = tempfile::NamedTempFile::new().unwrap();
    ca_file.write_all(ca.pem().as_bytes()).unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(server));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    assert!(backend.ip().is_loopback());
    tokio::spawn(async move {
        // Bounded: enough connections for the test, then the terminator stops accepting.
        for _ in 0..256 {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                #[allow(clippy::disallowed_methods)] // loopback, bounded by the timeout below
                let Ok(Ok(mut plain)) = tokio::time::timeout(
                    Duration::from_secs(5),
                    tokio::net::TcpStream::connect(backend),
                )
                .await
                else {
                    return;
                };
                let _ = tokio::time::timeout(
                    Duration::from_secs(60),
                    tokio::io::copy_bidirectional(&mut tls, &mut plain),
                )
                .await;
            });
        }
    });
    (ca_file, port)
}

fn polled(serial: &str) -> DeviceState {
    let reading = Reading {
        source: Source::Nut,
        status: Status::parse("OL"),
        samples: Vec::new(),
        is_real_power_estimated: false,
        info: Default::default(),
        identity: Identity {
            serial: Some(serial.into()),
            ..Identity::default()
        },
        raw: vec![
            ("ups.status".into(), "OL".into()),
            ("device.serial".into(), serial.into()),
        ],
    };
    let mut state = DeviceState::new("tls-ups".parse().unwrap(), Source::Nut);
    state.outcome = Outcome::Ok;
    state.reading = Some(Arc::new(reading));
    state
}

fn sink(settings: Settings) -> Sink {
    Sink::new(SinkConfig {
        settings,
        site: "tls".into(),
        capacity_rows: 1_000,
        batch_rows: 100,
        flush_interval: Duration::from_millis(100),
        retention: None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_ca_is_trusted_only_through_ca_file() -> anyhow::Result<()> {
    let Some(ch) = ClickHouse::start().await? else {
        return Ok(());
    };
    let (ca_file, port) = terminator(ch.addr).await;
    let mut settings = Settings::new(format!("https://127.0.0.1:{port}"));
    settings.database = "upsight_tls".into();
    settings.user = Some(clickhouse::USER.into());
    settings.password = Some(Password::new(clickhouse::PASSWORD.into()));
    settings.timeout = Duration::from_secs(5);

    // Without the CA: the Mozilla roots refuse the certificate; nothing is written.
    let untrusted = sink(settings.clone());
    let cancel = CancellationToken::new();
    let task = tokio::spawn(untrusted.clone().run(cancel.clone()));
    untrusted.record_poll(&[polled("TLS-SN-1")], SystemTime::now());
    let deadline = Instant::now() + Duration::from_secs(20);
    while untrusted.stats().failures() < 2 {
        assert!(Instant::now() < deadline, "no failed attempt");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!untrusted.stats().is_up());
    assert_eq!(untrusted.stats().inserted_rows(), 0);
    assert_eq!(
        untrusted.stats().queued_rows(),
        2,
        "the rows are held, not dropped"
    );
    cancel.cancel();
    task.await?;
    let databases = ch.query("SHOW DATABASES").await?;
    assert!(
        !databases.lines().any(|d| d == "upsight_tls"),
        "{databases}"
    );

    // With ca_file: written and read back over TLS.
    settings.ca_file = Some(ca_file.path().to_path_buf());
    let trusted = sink(settings.clone());
    let cancel = CancellationToken::new();
    let task = tokio::spawn(trusted.clone().run(cancel.clone()));
    trusted.record_poll(&[polled("TLS-SN-2")], SystemTime::now());
    let deadline = Instant::now() + Duration::from_secs(20);
    while trusted.stats().inserted_rows() < 2 {
        assert!(Instant::now() < deadline, "nothing written over TLS");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(trusted.stats().is_up());
    let reader = Reader::new(&settings)?;
    let found = reader.find_serial("TLS-SN-2", None).await?;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].device, "tls-ups");
    let now = upsight_analytics::rows::unix_seconds(SystemTime::now());
    let rows = reader
        .history(
            "tls",
            "tls-ups",
            None,
            Period {
                from: now - 60,
                to: now + 60,
            },
            10,
        )
        .await?;
    assert_eq!(rows.len(), 2);
    cancel.cancel();
    task.await?;
    Ok(())
}
