//! `bbws`, the operator's command line for BBWS Order Management (see `order_service::cli`).

use std::process::ExitCode;

use clap::Parser;
use order_service::cli::{Cli, run};

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse(), &|name| std::env::var(name).ok()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
