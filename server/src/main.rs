//! `stagepad`: serves (with no command, or `stagepad serve`) or runs an operator's command;
//! `stagepad --help` lists them. Everything is in [`server::admin`].

use std::process::ExitCode;

use clap::Parser;
use server::admin::{Cli, Command};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match server::admin::run(cli.command.unwrap_or(Command::Serve)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The whole chain, on one line: "what failed: why".
            eprintln!("Error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
