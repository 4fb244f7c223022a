//! Catalog import from the back office, as a job: the request hands over the CSV and gets
//! a job id at once; the import runs on a blocking thread (holding the till while it
//! writes, in one transaction as from the command line) and its progress is read from
//! `GET /api/jobs/{id}` without touching the till.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, State};
use opentill_core::i18n::Lang;
use opentill_core::role::Permission;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{AcceptLang, ApiError, ApiErrorBody, ApiJson, AppState};
use crate::TillError;

/// Jobs remembered, newest last.
const KEEP: usize = 20;
/// The largest CSV taken (about 500,000 products).
pub const MAX_CSV_BYTES: usize = 64 << 20;

/// Jobs of this till service.
#[derive(Debug, Default)]
pub struct Jobs(Mutex<VecDeque<Arc<Mutex<JobDto>>>>);

impl Jobs {
    fn start(&self, kind: &str) -> Arc<Mutex<JobDto>> {
        let job = Arc::new(Mutex::new(JobDto { job_id: crate::new_id(), kind: kind.into(), state: "running".into(), phase: "reading".into(), done: 0, total: 0, result: None, error: None }));
        let mut all = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if all.len() == KEEP {
            all.pop_front();
        }
        all.push_back(job.clone());
        job
    }

    fn get(&self, job_id: &str) -> Option<JobDto> {
        let all = self.0.lock().unwrap_or_else(|p| p.into_inner());
        all.iter().map(|j| j.lock().unwrap_or_else(|p| p.into_inner())).find(|j| j.job_id == job_id).map(|j| j.clone())
    }
}

/// A long job and how far it got.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobDto {
    /// Id.
    pub job_id: String,
    /// `catalog_import`.
    pub kind: String,
    /// `running`, `done` or `failed`.
    pub state: String,
    /// `reading` (parsing and checking every row) or `writing` (products written so far).
    pub phase: String,
    /// Products written.
    pub done: usize,
    /// Products to write (known once reading is over).
    pub total: usize,
    /// What a finished import did.
    pub result: Option<ImportResultDto>,
    /// Why it failed, in the language it was started in; nothing was written.
    pub error: Option<ApiErrorBody>,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportResultDto {
    /// Rows read (blank lines excluded).
    pub rows: usize,
    /// Products written.
    pub imported: usize,
    /// Rows skipped, with why (only when bad rows were to be skipped).
    pub skipped: Vec<RowErrorDto>,
}

/// A row that could not be imported.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowErrorDto {
    /// Line in the file (1 is the header); 0 when it is about the whole product.
    pub line: u64,
    /// Why, in the request's language.
    pub reason: String,
}

/// A catalog CSV to import; a manager's id and PIN authorise it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ImportRequest {
    /// The file's text: `sku,barcode,name,name_zh,price,category,unit,tax_rate` (see
    /// fixtures/catalog.csv); a product already there is replaced.
    pub csv: String,
    /// Import the good rows and list the bad ones, instead of refusing the file.
    #[serde(default)]
    pub skip_bad: bool,
    /// The manager.
    pub user_id: String,
    /// Their PIN.
    pub pin: String,
}

/// Start importing a catalog CSV: answers the job at once; read its progress from
/// `GET /api/jobs/{job_id}`. The file lands whole or not at all.
#[utoipa::path(post, path = "/api/catalog/import", request_body = ImportRequest, responses((status = 202, body = JobDto), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 413, description = "Larger than 64 MiB")))]
pub async fn start_import(State(state): State<AppState>, AcceptLang(lang): AcceptLang, ApiJson(req): ApiJson<ImportRequest>) -> Result<(axum::http::StatusCode, Json<JobDto>), ApiError> {
    // Checked before the job starts, so a wrong PIN is an answer, not a failed job.
    let (user, pin) = (req.user_id.clone(), req.pin.clone());
    super::run(&state, lang, move |t| t.authorize(&user, &pin, Permission::Manage, "import the catalog").map(|_| ())).await?;
    let job = state.jobs.start("catalog_import");
    let answer = job.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let till = state.till.clone();
    tokio::task::spawn_blocking(move || {
        let mut till = till.lock().unwrap_or_else(|p| p.into_inner());
        let progress_job = job.clone();
        let outcome = till.import_products(req.csv.as_bytes(), req.skip_bad, |n, total| {
            let mut j = progress_job.lock().unwrap_or_else(|p| p.into_inner());
            j.phase = "writing".into();
            j.done = n;
            j.total = total;
        });
        let mut j = job.lock().unwrap_or_else(|p| p.into_inner());
        match outcome {
            Ok(summary) => {
                j.state = "done".into();
                j.done = summary.imported;
                j.total = summary.imported;
                j.result = Some(ImportResultDto { rows: summary.rows, imported: summary.imported, skipped: summary.skipped.iter().map(|e| RowErrorDto { line: e.line, reason: e.reason(lang).to_string() }).collect() });
            }
            Err(e) => {
                j.state = "failed".into();
                j.error = Some(error_body(e, lang));
            }
        }
    });
    Ok((axum::http::StatusCode::ACCEPTED, Json(answer)))
}

fn error_body(e: TillError, lang: Lang) -> ApiErrorBody {
    ApiErrorBody { kind: e.kind().to_string(), message: e.message(lang) }
}

/// A job's progress, or what it did.
#[utoipa::path(get, path = "/api/jobs/{job_id}", params(("job_id" = String, Path, description = "Job")), responses((status = 200, body = JobDto), (status = 404, body = ApiErrorBody)))]
pub async fn job(State(state): State<AppState>, AcceptLang(lang): AcceptLang, Path(job_id): Path<String>) -> Result<Json<JobDto>, ApiError> {
    state.jobs.get(&job_id).map(Json).ok_or_else(|| {
        let message = match lang {
            Lang::Zh => format!("没有任务 {job_id}（收银服务重启后任务记录不保留）"),
            Lang::En => format!("no job {job_id} (jobs are not kept when the till service restarts)"),
        };
        ApiError { status: axum::http::StatusCode::NOT_FOUND, body: ApiErrorBody { kind: "unknown_job".into(), message } }
    })
}
