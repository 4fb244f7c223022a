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
    /// The tenant's shared catalog: products, central prices and stores' own prices,
    /// merged into every store's till on its next sync (共享商品目录).
    Catalog {
        #[command(subcommand)]
        action: CatalogCommand,
    },
}

#[derive(Debug, Subcommand)]
enum CatalogCommand {
    /// Write products from a JSON file: an array of products as `GET /v1/catalog` lists
    /// them (`sku`, `barcodes`, `name`, `name_zh`, `category`, `unit`, `price_minor`,
    /// `tax_bp`, ...). Every product is checked first; one bad product writes nothing.
    Import {
        /// The database: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
        #[arg(long, env = "OPENTILL_CLOUD_DB")]
        db: String,
        /// Tenant.
        #[arg(long, default_value = "default")]
        tenant: String,
        /// The JSON file.
        file: std::path::PathBuf,
    },
    /// Set a SKU's central price, or with `--store` that store's own price (`--clear`
    /// removes the store's own price, so the central one applies again).
    Price {
        /// The database: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
        #[arg(long, env = "OPENTILL_CLOUD_DB")]
        db: String,
        /// Tenant.
        #[arg(long, default_value = "default")]
        tenant: String,
        /// The SKU.
        #[arg(long)]
        sku: String,
        /// The price as on a shelf (`12.50`).
        #[arg(long, required_unless_present = "clear")]
        price: Option<String>,
        /// A store's own price rather than the central price.
        #[arg(long)]
        store: Option<String>,
        /// Remove the store's own price.
        #[arg(long, requires = "store", conflicts_with = "price")]
        clear: bool,
    },
    /// List the catalog with the prices a store sells at (the central prices without `--store`).
    Show {
        /// The database: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
        #[arg(long, env = "OPENTILL_CLOUD_DB")]
        db: String,
        /// Tenant.
        #[arg(long, default_value = "default")]
        tenant: String,
        /// The store.
        #[arg(long)]
        store: Option<String>,
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
        Command::Catalog { action } => catalog(action),
    }
}

fn catalog(action: CatalogCommand) -> anyhow::Result<()> {
    use opentill_cloud::docs;
    use opentill_cloud::http::ProductDto;
    use opentill_core::money::{Currency, parse_minor};
    match action {
        CatalogCommand::Import { db, tenant, file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let dtos: Vec<ProductDto> = serde_json::from_str(&text).with_context(|| format!("{} is not a JSON array of products", file.display()))?;
            let products = dtos.iter().map(ProductDto::to_product).collect::<Result<Vec<_>, _>>().map_err(anyhow::Error::msg)?;
            let mut ledger = open(&db)?;
            let n = products.len();
            docs::edit(ledger.as_mut(), &tenant, now_ms(), |doc, clock| {
                doc.put_products(&products, clock, now_ms(), |done| {
                    if done % 1000 == 0 || done == n {
                        eprintln!("{done}/{n} products");
                    }
                })
            })?;
            println!("{n} products written to tenant {tenant}'s catalog");
            Ok(())
        }
        CatalogCommand::Price { db, tenant, sku, price, store, clear } => {
            let minor = match (&price, clear) {
                (_, true) => None,
                (Some(text), false) => Some(parse_minor(text, Currency::CNY).with_context(|| format!("--price {text}"))?),
                (None, false) => bail!("--price is required"),
            };
            let mut ledger = open(&db)?;
            let hlc = docs::edit(ledger.as_mut(), &tenant, now_ms(), |doc, clock| match &store {
                Some(store) => doc.set_store_price(store, &sku, minor, clock, now_ms()),
                None => doc.set_price(&sku, minor.unwrap_or_default(), clock, now_ms()),
            })?;
            match (&store, minor) {
                (Some(store), Some(_)) => println!("{sku} at store {store}: {} (hlc {hlc})", price.unwrap_or_default()),
                (Some(store), None) => println!("{sku} at store {store}: its own price removed (hlc {hlc})"),
                (None, _) => println!("{sku}: {} everywhere without a price of their own (hlc {hlc})", price.unwrap_or_default()),
            }
            Ok(())
        }
        CatalogCommand::Show { db, tenant, store } => {
            let ledger = open(&db)?;
            let (_, mut doc) = docs::load(ledger.as_ref(), &tenant)?;
            let at = store.clone().unwrap_or_default();
            println!("{:<14} {:>10} {:>10}  name", "sku", "price", "central");
            for sku in doc.skus() {
                let Some(product) = doc.effective(&at, &sku) else { continue };
                let central = doc.price(&sku).map_or(0, |p| p.0);
                let money = |m: i64| format!("{}.{:02}", m / 100, m % 100);
                println!("{:<14} {:>10} {:>10}  {} {}", sku, money(product.price_minor), money(central), product.name_zh, product.name);
            }
            println!("heads: {}", doc.heads().join(" "));
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
