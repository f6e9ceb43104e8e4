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
//! - **Sessions only at login**: before it, nothing is kept on the server ([`prelogin`]), so
//!   anonymous requests cannot fill the session store. The patient is bound to each page by an
//!   opaque handle (two tabs, two patients), and the chosen assignment is re-resolved in the
//!   directory on every request about a patient.
//! - **Seen, not stored**: every page is `Cache-Control: no-store`; no record content or
//!   personnummer in URLs (record links use per-session handles) or in the application log.

mod handlers;
pub mod ident;
pub mod launch;
mod ongoing;
mod pages;
pub mod prelogin;
pub mod session;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use npo_gate::Gate;
use npo_security::directory::DirectoryStore;
use prelogin::PreLogin;
use session::{COOKIE, PendingLaunch, Sessions};
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
    /// The 32-byte key that seals context-launch links. Server-only: never give it to record
    /// systems (they ask `POST /api/kontext` for links).
    pub launch_key: [u8; 32],
    /// Systems (certificate HSA-ids) that may ask for launch links over `POST /api/kontext`;
    /// each only for users with an assignment at its own care giver (the directory's
    /// `systems` entry).
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
    /// The keys of the stateless pre-login state.
    pub(crate) prelogin: PreLogin,
    /// Launch links already used (by link id), with their expiry: each link opens once.
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
            prelogin: PreLogin::new(),
            used_launches: std::sync::Mutex::new(HashMap::new()),
        })
    }

    /// Marks a launch link used (by [`launch::link_id`]); an error if it was used before.
    pub(crate) fn launch_used_once(
        &self,
        link_id: &str,
        exp: i64,
        now: i64,
    ) -> Result<(), launch::LaunchError> {
        let mut used = self.used_launches.lock().unwrap_or_else(|p| p.into_inner());
        used.retain(|_, e| *e >= now);
        if used.contains_key(link_id) {
            return Err(launch::LaunchError::Used);
        }
        // Kept until no pending launch of it can be opened any more.
        used.insert(link_id.to_owned(), exp + prelogin::PENDING_TTL_SECONDS);
        Ok(())
    }

    /// Whether a launch link has been used.
    pub(crate) fn launch_was_used(&self, link_id: &str) -> bool {
        self.used_launches
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(link_id)
    }

    /// How many sessions the app holds (live or not yet swept).
    pub fn session_count(&self) -> usize {
        self.sessions.len()
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

/// The request's session: the id of a live session (empty before login), and the stateless
/// pre-login state (the login forms' CSRF token, a context launch waiting for login).
#[derive(Clone, Debug, Default)]
pub(crate) struct SessionId {
    pub id: String,
    /// The CSRF token of the login forms (only without a live session).
    pub pre_csrf: String,
    /// A context launch waiting for login (from its sealed cookie).
    pub pending: Option<PendingLaunch>,
}

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
        .route(
            "/samtycke",
            get(h::consent_choice).post(h::register_consent),
        )
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

fn cookie_value(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// A `__Host-` cookie: `Secure; HttpOnly; SameSite=Strict; Path=/`, for the browser session
/// (or, with `max_age`, that long; zero removes it).
pub(crate) fn cookie_header(name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let mut c = cookie::Cookie::build((name.to_owned(), value.to_owned()))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(cookie::SameSite::Strict);
    if let Some(s) = max_age {
        c = c.max_age(cookie::time::Duration::seconds(s));
    }
    HeaderValue::from_str(&c.build().to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub(crate) fn session_cookie(id: &str) -> HeaderValue {
    cookie_header(COOKIE, id, None)
}

/// Every request gets its live session, if it has one, and every response the security
/// headers; nothing is cached anywhere. Sessions are made only at login: a request without one
/// gets the stateless pre-login state (a CSRF nonce cookie), nothing is kept on the server.
async fn session_and_headers(
    State(web): State<Arc<Web>>,
    mut req: Request,
    next: Next,
) -> Response {
    // Static files need no session.
    let wants_session = !req.uri().path().starts_with("/static/");
    let existing = cookie_value(&req, COOKIE).filter(|id| web.sessions.get(id).is_some());
    let mut state = SessionId::default();
    let mut new_nonce = None;
    match existing {
        Some(id) => state.id = id,
        None if wants_session => {
            let nonce = match cookie_value(&req, prelogin::CSRF_COOKIE) {
                Some(n) if PreLogin::is_nonce(&n) => n,
                _ => {
                    let n = web.prelogin.nonce();
                    new_nonce = Some(n.clone());
                    n
                }
            };
            state.pre_csrf = web.prelogin.form_token(&nonce);
        }
        None => {}
    }
    if wants_session {
        state.pending = cookie_value(&req, prelogin::LAUNCH_COOKIE).and_then(|c| {
            web.prelogin
                .open_pending(&c, chrono::Utc::now().timestamp())
        });
    }
    req.extensions_mut().insert(state);
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
    if let Some(n) = new_nonce {
        h.append(
            header::SET_COOKIE,
            cookie_header(prelogin::CSRF_COOKIE, &n, None),
        );
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
