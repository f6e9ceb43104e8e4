use crate::store;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use npo_pki::PeerIdentity;
use npo_riv::ei::{
    EngagementTransaction, FIND_CONTENT_NS, FindContentRequest, FindContentResponse,
    MAX_TRANSACTIONS, UPDATE_NS, UpdateRequest, UpdateResponse,
};
use npo_riv::server::{Soap, SoapFault};
use npo_riv::{Fault, Limits, soap};
use npo_store::{Db, sqlx};
use std::collections::HashSet;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum EiError {
    #[error("engagement index store unavailable")]
    Store(#[from] sqlx::Error),
}

/// What one Update changed: the transactions that created, changed or deleted a record (the
/// ones subscribers are notified of).
#[derive(Debug)]
pub struct UpdateOutcome {
    pub response: UpdateResponse,
    pub changed: Vec<EngagementTransaction>,
}

/// The engagement index service.
#[derive(Clone, Debug)]
pub struct EngagementIndex {
    db: Db,
    /// The index's own HSA-id: the owner of engagements that name none.
    owner: String,
}

fn error(comment: String) -> UpdateOutcome {
    UpdateOutcome {
        response: UpdateResponse {
            result_code: "ERROR".into(),
            comment: Some(comment),
        },
        changed: Vec::new(),
    }
}

impl EngagementIndex {
    pub fn new(db: Db, owner: impl Into<String>) -> Self {
        EngagementIndex {
            db,
            owner: owner.into(),
        }
    }

    /// Applies an Update: all transactions or none. Validation errors are answered with
    /// `ResultCode` ERROR and a comment that names the rule (never the resident).
    pub async fn update(&self, req: &UpdateRequest) -> Result<UpdateOutcome, EiError> {
        let n = req.transactions.len();
        if n == 0 || n > MAX_TRANSACTIONS {
            return Ok(error(format!(
                "EI002: an update carries 1 to {MAX_TRANSACTIONS} engagement transactions, this one {n}"
            )));
        }
        let mut keys = Vec::with_capacity(n);
        let mut seen = HashSet::with_capacity(n);
        for (i, t) in req.transactions.iter().enumerate() {
            let owner = t.engagement.owner.as_deref().unwrap_or(&self.owner);
            let key = store::engagement_key(&t.engagement, owner);
            if !seen.insert(key.clone()) {
                return Ok(error(format!(
                    "EI003: engagement transaction {} repeats the engagement of an earlier one in the same update",
                    i + 1
                )));
            }
            keys.push(key);
        }
        let now = npo_riv::time::now_timestamp();
        let mut changed = Vec::new();
        let mut tx = self.db.pool.begin().await?;
        for (t, key) in req.transactions.iter().zip(&keys) {
            let owner = t.engagement.owner.as_deref().unwrap_or(&self.owner);
            let did = if t.delete_flag {
                store::delete(&mut tx, key).await?
            } else {
                store::upsert(&mut tx, key, &t.engagement, owner, &now).await?
            };
            if did {
                changed.push(t.clone());
            }
        }
        tx.commit().await?;
        Ok(UpdateOutcome {
            response: UpdateResponse {
                result_code: "OK".into(),
                comment: None,
            },
            changed,
        })
    }

    pub async fn find_content(
        &self,
        req: &FindContentRequest,
    ) -> Result<FindContentResponse, EiError> {
        Ok(FindContentResponse {
            engagements: store::find(&self.db, req).await?,
        })
    }
}

/// The index's SOAP endpoint (`POST /`), for both Update and FindContent. Only
/// `allowed_callers` (the router; empty: any certificate of the listener's CA) may call it:
/// who may update or read the index is decided by the router's authorizations.
pub fn router(ei: Arc<EngagementIndex>, allowed_callers: Vec<String>) -> Router {
    Router::new()
        .route("/", post(handle))
        .with_state((ei, Arc::new(allowed_callers)))
}

async fn handle(
    State((ei, allowed)): State<(Arc<EngagementIndex>, Arc<Vec<String>>)>,
    Extension(peer): Extension<PeerIdentity>,
    body: Bytes,
) -> Response {
    if !peer.is_one_of(&allowed) {
        return SoapFault(Fault::client(
            "EI006: the engagement index is reached through the service platform only",
        ))
        .into_response();
    }
    let env = match soap::parse_envelope(&body, &Limits::default()) {
        Ok(env) => env,
        Err(e) => {
            return SoapFault(Fault::client(format!("EI000: malformed request: {e}")))
                .into_response();
        }
    };
    let log_id = uuid::Uuid::new_v4();
    match env.contract_namespace() {
        UPDATE_NS => match UpdateRequest::parse(&env.body) {
            Ok(req) => match ei.update(&req).await {
                Ok(out) => {
                    tracing::info!(transactions = req.transactions.len(), changed = out.changed.len(), result = %out.response.result_code, "EI update");
                    Soap(soap::envelope("", &out.response.write())).into_response()
                }
                Err(e) => {
                    tracing::error!(%log_id, error = %e, "EI update failed");
                    SoapFault(Fault::server(format!("EI001: {e} (log id {log_id})")))
                        .into_response()
                }
            },
            Err(e) => Soap(soap::envelope(
                "",
                &UpdateResponse {
                    result_code: "ERROR".into(),
                    comment: Some(format!("EI004: invalid update: {e}")),
                }
                .write(),
            ))
            .into_response(),
        },
        FIND_CONTENT_NS => match FindContentRequest::parse(&env.body) {
            Ok(req) => match ei.find_content(&req).await {
                Ok(resp) => Soap(soap::envelope("", &resp.write())).into_response(),
                Err(e) => {
                    tracing::error!(%log_id, error = %e, "EI find content failed");
                    SoapFault(Fault::server(format!("EI001: {e} (log id {log_id})")))
                        .into_response()
                }
            },
            Err(e) => {
                SoapFault(Fault::client(format!("EI004: invalid FindContent: {e}"))).into_response()
            }
        },
        _ => SoapFault(Fault::client(
            "EI005: the engagement index serves Update and FindContent only",
        ))
        .into_response(),
    }
}
