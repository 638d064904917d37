//! `upsight`: one binary, several roles. Flags → tracing → config → bind → run → exit code;
//! the roles themselves live in their library crates.

mod cli;
mod commands;
mod demo;
mod healthcheck;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // --help and --version are not errors; bad usage exits 64 (EX_USAGE), not clap's 2.
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() {
                cli::EX_USAGE
            } else {
                cli::EX_OK
            });
        }
    };
    cli::init_tracing(cli.log_format);
    // reqwest (alerts) is built without a TLS provider of its own: ring, chosen once here.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(error) => {
            tracing::error!(%error, "Cannot start the async runtime.");
            return ExitCode::from(cli::EX_SOFTWARE);
        }
    };
    let code = runtime.block_on(commands::dispatch(cli.command));
    ExitCode::from(code)
}
