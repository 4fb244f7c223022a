//! `opentill-till`: the till in a desktop window (Tauri 2).
//!
//! A thin shell. At start it opens the till's own replica in its data directory (`--data`;
//! a new or empty directory becomes the demo store, [`opentill_till::demo::open_or_create`]),
//! builds the same router as the edge agent ([`opentill_till::api::router`]) and opens a
//! window on the built UI (`ui/dist`, embedded at compile time). The UI reaches the till
//! through one IPC command, [`commands::api`], which runs an HTTP-shaped request through
//! that router in-process ([`ipc::dispatch`]): same paths, same JSON, same `{kind, message}`
//! errors as over HTTP, and no port is opened. So the till keeps selling when the store's
//! edge agent is unreachable.
//!
//! Server-sent events (`/api/scans/events`) do not travel over IPC; the UI polls instead
//! (its status bar already does, every 4 s).
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use serde_json::json;
//! let dir = std::env::temp_dir().join(format!("opentill-till-app-doc-{}", std::process::id()));
//! let (till, _) = opentill_till::demo::open_or_create(&dir).unwrap();
//! let router = opentill_till::api::router(opentill_till::api::AppState::new(till));
//! // What the UI's `invoke('api', {method, path, body, lang})` does:
//! let login = json!({"user_id": "c01", "pin": "1234"});
//! let reply = opentill_till_app::ipc::dispatch(&router, "POST", "/api/login", Some(login), "en").await.unwrap();
//! assert_eq!((reply.status, reply.body["role"].as_str()), (200, Some("cashier")));
//! let reply = opentill_till_app::ipc::dispatch(&router, "GET", "/api/products/barcode/123", None, "en").await.unwrap();
//! assert_eq!((reply.status, reply.body["kind"].as_str()), (404, Some("unknown_barcode")));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # });
//! ```
#![deny(missing_docs)]

pub mod commands;
pub mod ipc;
mod options;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use opentill_core::i18n::Lang;
use opentill_till::api::{AppState, Router};
use opentill_till::demo::{Opened, open_or_create};
use tauri::{Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

pub use options::Options;

/// The state every command sees: the till's router.
pub struct Shell {
    router: Router,
}

impl Shell {
    /// Wraps the router the UI's requests go through.
    pub fn new(router: Router) -> Shell {
        Shell { router }
    }

    /// The router.
    pub fn router(&self) -> &Router {
        &self.router
    }
}

/// How the window opens.
#[derive(Debug, Clone)]
pub struct WindowOptions {
    /// Fullscreen without decorations.
    pub kiosk: bool,
    /// The UI's language at start, if given (`zh-CN` or `en`).
    pub locale: Option<&'static str>,
    /// The language of the window title.
    pub lang: Lang,
    /// Where the webview keeps its own storage (the UI's localStorage: the sale in progress).
    pub webview_data: PathBuf,
}

/// Parses the command line, opens the till and runs the window until it closes.
pub fn run() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("OPENTILL_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")))
        .with_writer(std::io::stderr)
        .init();
    let options = Options::parse();
    let lang = options.lang.unwrap_or_else(|| std::env::var("LANG").ok().and_then(|l| Lang::parse(&l)).unwrap_or(Lang::Zh));
    let Some(data) = options.data_dir() else {
        eprintln!("{}", lang.pick("错误：找不到用户数据目录，请用 --data DIR 指定", "error: no user data directory; give one with --data DIR"));
        return ExitCode::FAILURE;
    };
    let started = std::time::Instant::now();
    let till = match open_or_create(&data) {
        Ok((till, Opened::Existing)) => till,
        Ok((till, Opened::Created { products, staff })) => {
            eprintln!(
                "{} {} ({} {products}, {} {staff}; {})",
                lang.pick("已建立演示店：", "demo store created in"),
                data.display(),
                lang.pick("商品", "products"),
                lang.pick("员工", "staff"),
                lang.pick("收银员 c01，密码 1234", "cashier c01, PIN 1234"),
            );
            till
        }
        Err(e) => {
            eprintln!("{}[{}]: {}", lang.pick("错误", "error"), e.kind(), e.message(lang));
            return ExitCode::FAILURE;
        }
    };
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "till opened");
    let shell = Shell::new(opentill_till::api::router(AppState::new(till)));
    let window = WindowOptions { kiosk: options.kiosk, locale: options.lang.map(locale), lang, webview_data: data.join("webview") };
    match build(tauri::Builder::default(), shell, window).run(tauri::generate_context!()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}: {e}", lang.pick("错误：无法打开窗口", "error: cannot open the window"));
            ExitCode::FAILURE
        }
    }
}

/// The app on any runtime (tests can pass `tauri::test::mock_builder()`): the router as
/// state, the `api` command, and the window opened at setup.
pub fn build<R: Runtime>(builder: tauri::Builder<R>, shell: Shell, window: WindowOptions) -> tauri::Builder<R> {
    builder.manage(shell).invoke_handler(tauri::generate_handler![commands::api]).setup(move |app| {
        open_window(app.handle(), &window)?;
        Ok(())
    })
}

/// The UI's name for a language, as its message catalogs and localStorage spell it.
fn locale(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "zh-CN",
        Lang::En => "en",
    }
}

fn open_window<R: Runtime, M: Manager<R>>(app: &M, options: &WindowOptions) -> tauri::Result<()> {
    let mut window = WebviewWindowBuilder::new(app, "main", WebviewUrl::App("index.html".into()))
        .title(options.lang.pick("OpenTill 收银台", "OpenTill till"))
        .inner_size(1280.0, 800.0)
        .min_inner_size(800.0, 600.0)
        .fullscreen(options.kiosk)
        .decorations(!options.kiosk)
        .data_directory(options.webview_data.clone());
    if let Some(locale) = options.locale {
        // `--lang` sets the language once per start; the cashier may switch afterwards,
        // and a reload of the page keeps their choice.
        window = window.initialization_script(format!(
            "try {{ if (!sessionStorage.getItem('opentill.langSet')) {{ localStorage.setItem('opentill.locale', '{locale}'); sessionStorage.setItem('opentill.langSet', '1'); }} }} catch (e) {{}}"
        ));
    }
    window.build()?;
    Ok(())
}
