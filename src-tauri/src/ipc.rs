//! One UI request through the till's router, in-process: the IPC side of the UI's
//! `Transport`. The request and the reply have the shape of HTTP (method, path, JSON body,
//! `Accept-Language`; status and JSON body), so the UI's client is the same in a browser
//! and in the window, and so is every handler.

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, header};
use opentill_core::i18n::Lang;
use opentill_till::api::Router;
use serde::Serialize;
use tower::ServiceExt;

/// The router's answer: the HTTP status and the body, parsed when it is JSON (any other
/// body, such as a CSV report, comes back as a string; an empty body as `null`).
#[derive(Debug, Serialize)]
pub struct ApiReply {
    /// HTTP status code.
    pub status: u16,
    /// The body.
    pub body: serde_json::Value,
}

/// A request that could not be put to the router at all. Serialized as `{kind, message}`,
/// like the API's own errors, so the UI matches on `kind`.
#[derive(Debug, Serialize, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct IpcError {
    /// `bad_request` (not a method, or not a path under `/api/`) or `not_supported` (an
    /// event stream, which IPC does not carry).
    pub kind: &'static str,
    /// What went wrong, in the request's language.
    pub message: String,
}

impl IpcError {
    fn new(kind: &'static str, lang: Lang, zh: impl Into<String>, en: impl Into<String>) -> IpcError {
        let message = match lang {
            Lang::Zh => zh.into(),
            Lang::En => en.into(),
        };
        IpcError { kind, message }
    }
}

/// Runs `method path` with `body` (JSON) through `router` and returns its answer.
/// `lang` becomes `Accept-Language`, so error messages come in the UI's language.
pub async fn dispatch(router: &Router, method: &str, path: &str, body: Option<serde_json::Value>, lang: &str) -> Result<ApiReply, IpcError> {
    let message_lang = Lang::parse(lang).unwrap_or_default();
    let bad = |zh: String, en: String| IpcError::new("bad_request", message_lang, zh, en);
    let method = Method::from_bytes(method.as_bytes()).map_err(|_| bad(format!("无效的请求方法 `{method}`"), format!("`{method}` is not an HTTP method")))?;
    if !path.starts_with("/api/") {
        return Err(bad(format!("路径 `{path}` 不在 /api/ 下"), format!("path `{path}` is not under /api/")));
    }
    let accept_language = HeaderValue::from_str(lang).unwrap_or(HeaderValue::from_static("zh-CN"));
    let mut request = Request::builder().method(method).uri(path).header(header::ACCEPT_LANGUAGE, accept_language);
    let body = match body {
        Some(value) if !value.is_null() => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(serde_json::to_vec(&value).expect("a JSON value serializes"))
        }
        _ => Body::empty(),
    };
    let request = request.body(body).map_err(|e| bad(format!("无效的请求路径 `{path}`：{e}"), format!("bad request path `{path}`: {e}")))?;
    let response = match router.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let status = response.status().as_u16();
    let content_type = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if content_type.starts_with("text/event-stream") {
        return Err(IpcError::new("not_supported", message_lang, format!("{path} 是事件流，窗口内不支持；请改为轮询"), format!("{path} is an event stream, which the window does not carry; poll instead")));
    }
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .map_err(|e| IpcError::new("storage", message_lang, format!("读取应答失败：{e}"), format!("reading the answer failed: {e}")))?;
    let text = || serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned());
    let body = if bytes.is_empty() {
        serde_json::Value::Null
    } else if content_type.starts_with("application/json") {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| text())
    } else {
        text()
    };
    Ok(ApiReply { status, body })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn till_router(dir: &std::path::Path) -> Router {
        let (till, _) = opentill_till::demo::open_or_create(&dir.join("till")).unwrap();
        opentill_till::api::router(opentill_till::api::AppState::new(till))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sale_goes_through_the_router_in_process() {
        let tmp = tempfile::tempdir().unwrap();
        let router = till_router(tmp.path());
        let call = |method: &'static str, path: &'static str, body: Option<serde_json::Value>| {
            let router = router.clone();
            async move { dispatch(&router, method, path, body, "en").await.unwrap() }
        };
        assert_eq!(call("GET", "/api/health", None).await.status, 200);
        let shift = call("POST", "/api/shifts/open", Some(json!({"user_id": "c01", "pin": "1234", "float_minor": 50000}))).await;
        assert_eq!(shift.status, 200, "{:?}", shift.body);
        let sale = json!({"sale_id": "ipc-1", "items": [{"barcode": "6901234567892", "qty": 2}], "tenders": [{"kind": "cash", "amount_minor": 1000}]});
        let sold = call("POST", "/api/sales", Some(sale.clone())).await;
        assert_eq!(sold.status, 200, "{:?}", sold.body);
        assert_eq!((sold.body["total_minor"].as_i64(), sold.body["change_minor"].as_i64()), (Some(700), Some(300)));
        // The sale id is the idempotency key, through IPC as over HTTP.
        let again = call("POST", "/api/sales", Some(sale)).await;
        assert_eq!(again.body["sale_id"], sold.body["sale_id"]);
        let read = call("GET", "/api/sales/ipc-1", None).await;
        assert_eq!(read.body["total_minor"].as_i64(), Some(700));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn errors_keep_their_kind_and_follow_the_language() {
        let tmp = tempfile::tempdir().unwrap();
        let router = till_router(tmp.path());
        let en = dispatch(&router, "POST", "/api/login", Some(json!({"user_id": "c01", "pin": "0000"})), "en").await.unwrap();
        let zh = dispatch(&router, "POST", "/api/login", Some(json!({"user_id": "c01", "pin": "0000"})), "zh-CN").await.unwrap();
        assert_eq!((en.status, en.body["kind"].as_str(), zh.body["kind"].as_str()), (401, Some("auth_failed"), Some("auth_failed")));
        assert_ne!(en.body["message"], zh.body["message"]);
        // A CSV report comes back as text; an unknown path as the API's JSON 404.
        let csv = dispatch(&router, "GET", "/api/reports/analytics?by=day&format=csv", None, "en").await.unwrap();
        assert!(csv.body.as_str().is_some_and(|t| t.starts_with("day") || t.contains(',')), "{:?}", csv.body);
        assert_eq!(dispatch(&router, "GET", "/api/nothing-here", None, "en").await.unwrap().status, 404);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_outside_the_api_are_refused_before_the_router() {
        let tmp = tempfile::tempdir().unwrap();
        let router = till_router(tmp.path());
        let err = dispatch(&router, "GET", "/etc/passwd", None, "en").await.unwrap_err();
        assert_eq!(err.kind, "bad_request");
        let err = dispatch(&router, "G E T", "/api/health", None, "zh-CN").await.unwrap_err();
        assert_eq!(err.kind, "bad_request");
        assert!(err.message.contains("无效"), "{}", err.message);
        let err = dispatch(&router, "GET", "/api/scans/events", None, "en").await.unwrap_err();
        assert_eq!(err.kind, "not_supported");
        let wire = serde_json::to_value(&err).unwrap();
        assert_eq!(wire["kind"], "not_supported");
    }
}
