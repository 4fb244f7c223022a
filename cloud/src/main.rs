//! `opentill-cloud`: the cloud ledger's server and admin commands.

use std::io::Write;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use opentill_cloud::ledger::{Ledger, StorePath};
use opentill_cloud::{code_hash, new_code, now_ms, open_ledger};

/// OpenTill cloud ledger.
#[derive(Debug, Parser)]
#[command(name = "opentill-cloud", version, about = "OpenTill cloud ledger: enrols nodes, ingests and verifies their journals (云端账本)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve {
        /// The database: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
        #[arg(long, env = "OPENTILL_CLOUD_DB")]
        db: String,
        /// Address to listen on; port 0 picks a free one (the chosen address is printed).
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: String,
        /// Bearer token the read routes (totals, nodes, quarantine, alerts) require.
        #[arg(long, env = "OPENTILL_CLOUD_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: Option<String>,
    },
    /// Create a one-time enrolment code for a store (creating the tenant, brand and store
    /// as needed) and print it.
    EnrolCode {
        /// The database: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
        #[arg(long, env = "OPENTILL_CLOUD_DB")]
        db: String,
        /// The store id the node was initialised with.
        #[arg(long)]
        store: String,
        /// Tenant.
        #[arg(long, default_value = "default")]
        tenant: String,
        /// Brand.
        #[arg(long, default_value = "default")]
        brand: String,
        /// Hours before the code expires.
        #[arg(long, default_value_t = 72)]
        ttl_hours: i64,
    },
    /// Revoke a member pass issued in a store; the store's agents learn it on their next
    /// sync and refuse the pass at gates and vending machines from then on.
    RevokePass {
        /// The database: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
        #[arg(long, env = "OPENTILL_CLOUD_DB")]
        db: String,
        /// The store that issued the pass.
        #[arg(long)]
        store: String,
        /// The pass id (`opentill-edge pass issue` prints it).
        #[arg(long)]
        pass: String,
    },
}

fn open(db: &str) -> anyhow::Result<Box<dyn Ledger>> {
    Ok(open_ledger(db)?)
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { db, listen, admin_token } => {
            let ledger = open(&db)?;
            let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("listening on {listen}"))?;
                let addr = listener.local_addr()?;
                println!("opentill-cloud listening on http://{addr}");
                std::io::stdout().flush()?;
                let shutdown = async {
                    let ctrl_c = tokio::signal::ctrl_c();
                    #[cfg(unix)]
                    {
                        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
                        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
                    }
                    #[cfg(not(unix))]
                    let _ = ctrl_c.await;
                };
                opentill_cloud::serve(listener, Arc::new(Mutex::new(ledger)), admin_token, shutdown).await.context("serving")
            })
        }
        Command::EnrolCode { db, store, tenant, brand, ttl_hours } => {
            let mut ledger = open(&db)?;
            let code = new_code();
            let now = now_ms();
            ledger.add_enrol_code(&StorePath { tenant, brand, store_id: store.clone() }, code_hash(&code), now, now + ttl_hours * 3_600_000)?;
            println!("{}-{}", &code[..5], &code[5..]);
            eprintln!("one-time code for store {store}, valid {ttl_hours} h: opentill-edge sync enroll --cloud URL --code {}-{}", &code[..5], &code[5..]);
            Ok(())
        }
        Command::RevokePass { db, store, pass } => {
            let mut ledger = open(&db)?;
            if pass.is_empty() || pass.len() > 64 {
                bail!("--pass must be 1 to 64 characters");
            }
            let new = ledger.revoke_pass(&store, &pass, now_ms())?;
            println!("{}", if new { format!("pass {pass} of store {store} revoked") } else { format!("pass {pass} of store {store} was already revoked") });
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("OPENTILL_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
