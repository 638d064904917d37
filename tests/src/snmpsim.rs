//! A real snmpsim agent (Debian's `snmpsimd`) on 127.0.0.1 and an ephemeral UDP port, serving
//! `.snmprec` recordings (what `shared/reference/recipes/snmpsim-up.sh` does by hand).
//!
//! Community and SNMPv3 context are the recording's file name without `.snmprec`. Every
//! recording also gets a writable twin `NAME-rw` whose UPS-MIB and APC PowerNet UPS records use
//! snmpsim's `writecache` module, so a test can flip a device with `snmpset`.
//!
//! Quirks handled (reference/real-peers.md §3): as root snmpsimd insists on a process user and
//! a cache directory that user can write; recordings are indexed only at startup.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::peers;

/// SNMPv3 users every agent knows: (user, auth protocol, auth key, priv protocol, priv key),
/// with snmpsim's protocol names.
pub const V3_USERS: &[(&str, &str, &str, &str, &str)] = &[
    ("upsmon", "SHA", "authpass123", "AES", "privpass123"),
    (
        "upsmon256",
        "SHA256",
        "authpass256",
        "AES256",
        "privpass256",
    ),
];

/// Subtrees made writable in the `-rw` twins.
const WRITABLE: &[&str] = &[
    "1.3.6.1.2.1.33.",
    "1.3.6.1.4.1.318.1.1.1.",
    "1.3.6.1.4.1.3808.1.1.1.",
    "1.3.6.1.4.1.534.1.",
];

/// A running snmpsimd; killed on drop.
#[derive(Debug)]
pub struct Snmpsim {
    _dir: tempfile::TempDir,
    port: u16,
    child: Child,
    log: PathBuf,
}

impl Snmpsim {
    /// Serves `recordings` (file name without extension, bytes), waiting until the first one
    /// answers. `None` when snmpsim is missing outside scripts/test.
    pub fn start(recordings: &[(String, Vec<u8>)]) -> anyhow::Result<Option<Self>> {
        let Some(bin) = peers::require("snmpsim (snmpsimd)", &["/usr/bin/snmpsimd"]) else {
            return Ok(None);
        };
        let Some(snmpget) = peers::require("net-snmp (snmpget)", &["/usr/bin/snmpget"]) else {
            return Ok(None);
        };
        anyhow::ensure!(!recordings.is_empty(), "no recordings to serve");
        let dir = tempfile::tempdir()?;
        let data = dir.path().join("data");
        let cache = dir.path().join("cache");
        std::fs::create_dir_all(&data)?;
        std::fs::create_dir_all(&cache)?;
        for (name, bytes) in recordings {
            crate::write_file(&data.join(format!("{name}.snmprec")), bytes)?;
            crate::write_file(
                &data.join(format!("{name}-rw.snmprec")),
                &writable_twin(bytes),
            )?;
        }
        let port = free_udp_port();
        let log = dir.path().join("snmpsimd.log");
        let mut cmd = Command::new(bin);
        cmd.arg(format!("--data-dir={}", data.display()))
            .arg(format!("--cache-dir={}", cache.display()))
            .arg(format!("--agent-udpv4-endpoint=127.0.0.1:{port}"))
            .arg(format!("--logging-method=file:{}", log.display()));
        for (user, auth, auth_key, privacy, priv_key) in V3_USERS {
            cmd.arg(format!("--v3-user={user}"));
            if !auth.is_empty() {
                cmd.arg(format!("--v3-auth-key={auth_key}"))
                    .arg(format!("--v3-auth-proto={auth}"));
            }
            if !privacy.is_empty() {
                cmd.arg(format!("--v3-priv-key={priv_key}"))
                    .arg(format!("--v3-priv-proto={privacy}"));
            }
        }
        if crate::is_root() {
            // snmpsimd refuses to run as root; the cache must be writable by the process user.
            cmd.args(["--process-user=nobody", "--process-group=nogroup"]);
            Command::new("chown")
                .args(["-R", "nobody:nogroup"])
                .arg(&cache)
                .status()?;
            Command::new("chmod")
                .args(["-R", "a+rX"])
                .arg(dir.path())
                .status()?;
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start snmpsimd: {e}"))?;
        let me = Self {
            _dir: dir,
            port,
            child,
            log,
        };
        let first = &recordings[0].0;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ok = Command::new(&snmpget)
                .args(["-v2c", "-c", first, "-t", "0.3", "-r", "0"])
                .arg(me.endpoint())
                .arg("1.3.6.1.2.1.1.2.0")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                return Ok(Some(me));
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "snmpsimd did not answer within 30 s; log: {}",
                std::fs::read_to_string(&me.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// UDP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `snmpset -v2c -c COMMUNITY 127.0.0.1:PORT OID TYPE VALUE` (net-snmp).
    pub fn snmpset(
        &self,
        community: &str,
        oid: &str,
        kind: &str,
        value: &str,
    ) -> anyhow::Result<()> {
        let out = Command::new("snmpset")
            .args(["-v2c", "-c", community, "-t", "1", "-r", "1"])
            .arg(self.endpoint())
            .args([oid, kind, value])
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "snmpset failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    }
}

impl Drop for Snmpsim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every `.snmprec` file in `dir`, sorted by name.
pub fn recordings_in(dir: &Path) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "snmprec") {
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .ok_or_else(|| anyhow::anyhow!("bad file name {}", path.display()))?
                .to_owned();
            out.push((name, std::fs::read(&path)?));
        }
    }
    out.sort();
    Ok(out)
}

/// The recording with every plain record under [`WRITABLE`] turned into a `writecache` one.
fn writable_twin(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        let text = String::from_utf8_lossy(line);
        let mut parts = text.trim_end_matches(['\n', '\r']).splitn(3, '|');
        let (Some(oid), Some(tag), Some(value)) = (parts.next(), parts.next(), parts.next()) else {
            out.extend_from_slice(line);
            continue;
        };
        let oid_plain = oid.trim_start_matches('.');
        if tag.bytes().all(|b| b.is_ascii_digit())
            && WRITABLE.iter().any(|w| oid_plain.starts_with(w))
        {
            out.extend_from_slice(format!("{oid}|{tag}:writecache|value={value}\n").as_bytes());
        } else {
            out.extend_from_slice(line);
        }
    }
    out
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral UDP port on 127.0.0.1")
}
