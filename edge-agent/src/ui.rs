//! Serves the built browser UI (`ui/dist`) next to the local API: every path outside
//! `/api/` is a file of the UI, and paths without a file extension get `index.html`
//! (the app picks its screen itself). Unknown `/api/` paths still answer JSON.

use std::path::{Path, PathBuf};

use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use opentill_till::api::Router;

/// `app` with the files under `dir` served for every path the API does not answer.
pub fn with_ui(app: Router, dir: PathBuf) -> Router {
    app.fallback(move |method: Method, uri: Uri| {
        let dir = dir.clone();
        async move { serve(&dir, &method, uri.path()).await }
    })
}

/// The UI folder to serve: `--ui DIR` when given, else `ui/dist` when it holds a build.
pub fn resolve(flag: Option<PathBuf>) -> Option<PathBuf> {
    if let Some(dir) = &flag
        && !dir.join("index.html").is_file()
    {
        eprintln!("warning: {} has no index.html; build the UI with scripts/build-ui.sh", dir.display());
    }
    flag.or_else(|| {
        let default = PathBuf::from("ui/dist");
        default.join("index.html").is_file().then_some(default)
    })
}

async fn serve(dir: &Path, method: &Method, path: &str) -> Response {
    if path == "/api" || path.starts_with("/api/") {
        let body = serde_json::json!({"kind": "not_found", "message": "no such endpoint"});
        return (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segments.iter().any(|s| *s == ".." || *s == "." || s.contains('\\') || s.contains('\0')) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut file = dir.to_path_buf();
    segments.iter().for_each(|s| file.push(s));
    let is_asset = segments.last().is_some_and(|s| s.contains('.'));
    if !is_asset {
        file = dir.join("index.html");
    }
    let name = file.clone();
    let read = tokio::task::spawn_blocking(move || std::fs::read(&name)).await;
    let Ok(Ok(bytes)) = read else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&file)));
    // Vite puts a content hash in every file name under assets/; index.html must be re-read.
    let cache = if segments.first() == Some(&"assets") { "public, max-age=31536000, immutable" } else { "no-cache" };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
