//! The window's IPC commands. There is one: the UI's requests to the till's API.

use tauri::State;

use crate::Shell;
use crate::ipc::{ApiReply, IpcError, dispatch};

/// `invoke('api', {method, path, body, lang})`: one request through the till's router,
/// in-process. Runs on the async runtime (handlers move the till's work to the blocking
/// pool), never on the window's main thread.
#[tauri::command]
#[tracing::instrument(level = "debug", skip(shell, body, lang), err)]
pub async fn api(shell: State<'_, Shell>, method: String, path: String, body: Option<serde_json::Value>, lang: String) -> Result<ApiReply, IpcError> {
    let reply = dispatch(shell.router(), &method, &path, body, &lang).await?;
    tracing::debug!(status = reply.status, "answered");
    Ok(reply)
}
