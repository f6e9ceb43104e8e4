//! The clinician web app: what care staff see every day. Server-rendered HTML in Swedish (maud),
//! plain forms, and a few lines of script that fill in the overview as sources answer.
//!
//! - **Login** with a personal certificate (SITHS style: HSA-id in `serialNumber`) presented
//!   in the TLS handshake → the HSA directory → a choice among the person's assignments for
//!   care and treatment. In demo mode only, a clearly marked page lets a visitor pick a demo user.
//! - **Patient** by personnummer/samordningsnummer, or by **context launch**: a sealed,
//!   short-lived URL the user's own record system opens.
//! - **The PDL flow** through [`npo_gate::Gate`], the one place the rules live: available
//!   patient → relation → consent or emergency access → overview; blocked information is only
//!   announced, and can be revoked temporarily with the patient's consent or in an emergency.
//! - **Seen, not stored**: every page is `Cache-Control: no-store`; no record content or
//!   personnummer in URLs (record links use per-session handles) or in the application log.

mod handlers;
pub mod ident;
pub mod launch;
mod pages;
pub mod session;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use npo_gate::Gate;
use npo_security::directory::DirectoryStore;
use session::{COOKIE, Sessions};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Settings of the web app.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// Offer the demo-user picker (`npo demo` only).
    pub demo_mode: bool,
    /// A session ends after this long without a request.
    pub idle_timeout: Duration,
    /// The 32-byte secret shared with record systems for context launch.
    pub launch_key: [u8; 32],
    /// Systems (certificate HSA-ids) that may ask for launch links over `POST /api/kontext`.
    pub launch_systems: Vec<String>,
    /// The public base URL of the app (for launch links), e.g. `https://npo.example:8448`.
    pub public_url: String,
    /// Source-system HSA-id → name, to say which sources answered.
    pub source_names: HashMap<String, String>,
    /// Care-giver HSA-id → name, shown with each record.
    pub care_giver_names: HashMap<String, String>,
    /// Care-unit HSA-id → name, shown in record details.
    pub care_unit_names: HashMap<String, String>,
}

/// The web app's state.
pub struct Web {
    pub(crate) cfg: WebConfig,
    pub(crate) gate: Arc<Gate>,
    pub(crate) directory: DirectoryStore,
    pub(crate) sessions: Sessions,
    pub(crate) launch: launch::LaunchKey,
    /// Launch tokens already used, with their expiry: each link opens once.
    used_launches: std::sync::Mutex<HashMap<String, i64>>,
}

impl Web {
    pub fn new(cfg: WebConfig, gate: Arc<Gate>, directory: DirectoryStore) -> Arc<Web> {
        let launch =
            launch::LaunchKey::new(&cfg.launch_key).expect("a 32-byte key is always valid");
        Arc::new(Web {
            sessions: Sessions::new(cfg.idle_timeout),
            cfg,
            gate,
            directory,
            launch,
            used_launches: std::sync::Mutex::new(HashMap::new()),
        })
    }

    /// Marks a launch token used; an error if it was used before.
    pub(crate) fn launch_used_once(
        &self,
        token: &str,
        exp: i64,
        now: i64,
    ) -> Result<(), launch::LaunchError> {
        let mut used = self.used_launches.lock().unwrap_or_else(|p| p.into_inner());
        used.retain(|_, e| *e >= now);
        if used.insert(token.to_owned(), exp).is_some() {
            return Err(launch::LaunchError::Used);
        }
        Ok(())
    }

    /// A context-launch URL for `patient` and `user`, valid for two minutes.
    pub fn launch_url(&self, patient: &str, user: &str) -> String {
        let token = self
            .launch
            .seal(patient, user, chrono::Utc::now().timestamp());
        format!(
            "{}/kontext?t={token}",
            self.cfg.public_url.trim_end_matches('/')
        )
    }
}

/// The session id of the request (the middleware makes sure there is a live one).
#[derive(Clone, Debug)]
pub(crate) struct SessionId(pub String);

/// The app's routes. Serve it with [`npo_pki::serve_tls`] and a configuration from
/// [`npo_pki::server_config_optional_client`], so that a card can be presented.
pub fn router(web: Arc<Web>) -> Router {
    use handlers as h;
    Router::new()
        .route("/", get(h::home))
        .route("/logga-in", get(h::login_page).post(h::login))
        .route("/demo", get(h::demo_page))
        .route("/demo/logga-in", post(h::demo_login))
        .route(
            "/uppdrag",
            get(h::assignment_page).post(h::choose_assignment),
        )
        .route("/patient", get(h::patient_page).post(h::choose_patient))
        .route("/kontext", get(h::context_launch))
        .route("/api/kontext", post(h::api_launch_url))
        .route("/relation", post(h::attest_relation))
        .route("/samtycke", post(h::register_consent))
        .route("/utan-samtycke", post(h::without_consent))
        .route("/nodoppning", post(h::emergency_access))
        .route("/oversikt", get(h::overview))
        .route("/oversikt/del/{key}", get(h::overview_part))
        .route("/typ/{key}", get(h::type_list))
        .route("/post/{key}/{handle}", get(h::record_detail))
        .route("/sparr", get(h::block_page).post(h::revoke_block))
        .route("/logga-ut", post(h::logout))
        .route("/static/app.css", get(h::css))
        .route("/static/app.js", get(h::js))
        .fallback(h::not_found)
        .layer(middleware::from_fn_with_state(
            web.clone(),
            session_and_headers,
        ))
        .with_state(web)
}

fn cookie_value(req: &Request) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == COOKIE)
        .map(|c| c.value().to_owned())
}

pub(crate) fn session_cookie(id: &str) -> HeaderValue {
    let c = cookie::Cookie::build((COOKIE, id.to_owned()))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .build();
    HeaderValue::from_str(&c.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Every request gets a live session (a new anonymous one if needed) and every response the
/// security headers; nothing is cached anywhere.
async fn session_and_headers(
    State(web): State<Arc<Web>>,
    mut req: Request,
    next: Next,
) -> Response {
    // Static files need no session.
    let wants_session = !req.uri().path().starts_with("/static/");
    let existing = cookie_value(&req).filter(|id| web.sessions.get(id).is_some());
    let (id, fresh) = match existing {
        Some(id) => (id, false),
        None if wants_session => match web.sessions.try_create() {
            Some((id, _)) => (id, true),
            None => {
                return (
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    [(header::CACHE_CONTROL, "no-store")],
                    "Tjänsten är hårt belastad just nu. Försök igen om en stund.",
                )
                    .into_response();
            }
        },
        None => (String::new(), false),
    };
    req.extensions_mut().insert(SessionId(id.clone()));
    let mut resp = next.run(req).await;
    // Rejections of malformed requests (axum's plain-text messages name internals): a generic
    // Swedish answer instead.
    if resp.status().is_client_error()
        && resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/plain"))
    {
        resp = (
            resp.status(),
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Felaktig begäran. Gå tillbaka och försök igen.",
        )
            .into_response();
    }
    let h = resp.headers_mut();
    if fresh && !h.contains_key(header::SET_COOKIE) {
        h.insert(header::SET_COOKIE, session_cookie(&id));
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    h.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000"),
    );
    resp
}
