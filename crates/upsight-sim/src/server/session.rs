//! One client connection: read request lines, answer each from the world, apply faults.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use upsight_proto::nut::{
    ErrorCode, Limits, LineBuffer, Reply, ServerError, UpsEntry, Variable, Word, encode_reply,
    tokenize,
};

use super::lock;
use crate::world::{COMMANDS, Fault, ServerFault, World};

/// Lines an endless list sends before giving up on a client that keeps reading.
const ENDLESS_LIST_CAP: usize = 1_000_000;

pub(super) async fn accept_loop(listener: TcpListener, world: Arc<Mutex<World>>) {
    let mut sessions = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        lock(&world).connections += 1;
        sessions.spawn(serve(stream, Arc::clone(&world)));
        while sessions.try_join_next().is_some() {}
    }
}

enum Action {
    Reply(Reply),
    ReplyAndClose(Reply),
}

async fn serve(mut stream: TcpStream, world: Arc<Mutex<World>>) {
    let mut lines = LineBuffer::new(Limits::default());
    let mut chunk = vec![0u8; 8192];
    let mut session = Session::default();
    loop {
        let n = match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        lines.extend(&chunk[..n]);
        lock(&world).batches += 1;
        session.first_ups = None;
        let mut out = Vec::new();
        let mut close = false;
        let mut fault = None;
        loop {
            let line = match lines.next_line() {
                Ok(Some(line)) => line,
                Ok(None) => break,
                Err(_) => return,
            };
            let action = {
                let mut w = lock(&world);
                w.commands += 1;
                fault = w.server_fault;
                session.answer(line, &w)
            };
            let reply = match action {
                Action::Reply(r) => r,
                Action::ReplyAndClose(r) => {
                    close = true;
                    r
                }
            };
            let _ = encode_reply(&reply, &mut out);
            if close {
                break;
            }
        }
        match fault {
            None => {}
            Some(ServerFault::SlowReplies(delay)) => tokio::time::sleep(delay).await,
            Some(ServerFault::DropConnections) => return,
            Some(ServerFault::Silent) => continue,
            Some(ServerFault::Garbage) => out = b"\x00\xff\xfe GARBAGE \x01\x02\n".to_vec(),
            Some(ServerFault::HugeLine) => out = vec![b'A'; 1 << 20],
            Some(ServerFault::UnterminatedQuote) => {
                out = b"BEGIN LIST VAR x\nVAR x y \"open\n".to_vec()
            }
            Some(ServerFault::EndlessList) => {
                let ups = session.first_ups.take().unwrap_or_else(|| "x".into());
                return endless_list(&mut stream, &ups).await;
            }
        }
        if !out.is_empty() && stream.write_all(&out).await.is_err() {
            return;
        }
        if close {
            return;
        }
    }
}

async fn endless_list(stream: &mut TcpStream, ups: &str) {
    if stream
        .write_all(format!("BEGIN LIST VAR {ups}\n").as_bytes())
        .await
        .is_err()
    {
        return;
    }
    for i in 0..ENDLESS_LIST_CAP {
        let line = format!("VAR {ups} var{i} \"value\"\n");
        if stream.write_all(line.as_bytes()).await.is_err() {
            return;
        }
    }
}

#[derive(Default)]
struct Session {
    username: bool,
    password: bool,
    /// The first UPS asked for with `LIST VAR` in the current read (for the endless list).
    first_ups: Option<String>,
}

impl Session {
    fn answer(&mut self, line: &[u8], world: &World) -> Action {
        let Ok(words) = tokenize(line) else {
            return err(ErrorCode::InvalidArgument);
        };
        let text: Vec<String> = words.iter().map(Word::to_text).collect();
        let args: Vec<&str> = text.iter().map(String::as_str).collect();
        match args.as_slice() {
            ["VER"] => ok_reply(Reply::Text(
                "Network UPS Tools upsd 2.8.0 - upsight simulator".into(),
            )),
            ["NETVER" | "PROTVER"] => ok_reply(Reply::Text("1.3".into())),
            ["LIST", "UPS"] => ok_reply(Reply::UpsList(
                world
                    .devices
                    .iter()
                    .map(|(name, d)| UpsEntry {
                        name: name.clone(),
                        description: d.description.clone(),
                    })
                    .collect(),
            )),
            ["LIST", "VAR", ups] => device(world, ups, |d| {
                self.first_ups.get_or_insert_with(|| (*ups).to_owned());
                let vars = d.vars.iter().map(|(k, v)| Variable {
                    name: k.clone(),
                    value: v.clone(),
                });
                Reply::VarList {
                    ups: (*ups).to_owned(),
                    vars: vars.collect(),
                }
            }),
            ["GET", "VAR", ups, var] => device(world, ups, |d| match d.vars.get(*var) {
                Some(v) => Reply::Var {
                    ups: (*ups).to_owned(),
                    var: Variable {
                        name: (*var).to_owned(),
                        value: v.clone(),
                    },
                },
                None => error(ErrorCode::VarNotSupported),
            }),
            ["LIST", "CMD", ups] => device(world, ups, |_| Reply::CmdList {
                ups: (*ups).to_owned(),
                commands: COMMANDS.iter().map(|c| (*c).to_owned()).collect(),
            }),
            ["USERNAME", _] => set_once(&mut self.username, ErrorCode::AlreadySetUsername),
            ["PASSWORD", _] => set_once(&mut self.password, ErrorCode::AlreadySetPassword),
            ["LOGOUT"] => Action::ReplyAndClose(Reply::Ok("Goodbye".into())),
            _ => err(ErrorCode::UnknownCommand),
        }
    }
}

fn device(world: &World, ups: &str, f: impl FnOnce(&crate::world::SimDevice) -> Reply) -> Action {
    let Some(d) = world.devices.get(ups) else {
        return err(ErrorCode::UnknownUps);
    };
    match d.fault {
        Some(Fault::Stale) => err(ErrorCode::DataStale),
        Some(Fault::DriverNotConnected) => err(ErrorCode::DriverNotConnected),
        Some(Fault::Waiting) => {
            let mut waiting = d.clone();
            waiting.vars.insert("ups.status".into(), "WAIT".into());
            ok_reply(f(&waiting))
        }
        None => ok_reply(f(d)),
    }
}

fn set_once(flag: &mut bool, already: ErrorCode) -> Action {
    if std::mem::replace(flag, true) {
        err(already)
    } else {
        ok_reply(Reply::Ok(String::new()))
    }
}

fn ok_reply(reply: Reply) -> Action {
    Action::Reply(reply)
}

fn error(code: ErrorCode) -> Reply {
    Reply::Error(ServerError {
        code,
        detail: String::new(),
    })
}

fn err(code: ErrorCode) -> Action {
    Action::Reply(error(code))
}
