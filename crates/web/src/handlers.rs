//! Thin handlers: read the session, ask the gate or a security service, render a page.

use crate::pages::{self, Chrome, csrf, layout, notice, time};
use crate::session::{PatientContext, PendingLaunch, Session, same_secret};
use crate::{SessionId, Web, cookie_header, ident, prelogin, session_cookie};
use axum::Json;
use axum::extract::{Extension, Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use npo_gate::{Basis, Delivery, InformationType, ReadAnswer, ReadRequest, Record, Refusal};
use npo_pki::PeerIdentity;
use npo_riv::common::DatePeriod;
use npo_riv::headers::StatusCode as SourceStatus;
use npo_security::blocks::RevokeReason;
use npo_security::consent::{ConsentScope, NewConsent};
use npo_security::{Actor, PURPOSE_CARE};
use ring::hmac;
use serde::Deserialize;
use std::sync::Arc;

type WebState = State<Arc<Web>>;

/// How many of the newest records each overview part shows.
const LATEST: usize = 5;

// ---------------------------------------------------------------------------------------------
// helpers

/// The request's live session, or (before login) an empty one whose CSRF token is the login
/// forms' stateless one.
fn session(web: &Web, id: &SessionId) -> Session {
    web.sessions.get(&id.id).unwrap_or_else(|| Session {
        csrf: id.pre_csrf.clone(),
        ..Session::default()
    })
}

fn chrome<'a>(web: &Web, s: &'a Session, ctx: Option<&'a PatientContext>) -> Chrome<'a> {
    Chrome {
        user: s.person.as_ref().map(|p| p.1.as_str()),
        assignment: s.actor.as_ref().map(|a| &a.assignment),
        patient: if s.actor.is_some() {
            ctx.map(|c| c.patient.as_str())
        } else {
            None
        },
        demo: web.cfg.demo_mode,
        csrf: &s.csrf,
    }
}

fn page(web: &Web, s: &Session, title: &str, body: Markup) -> Response {
    Html(layout(title, &chrome(web, s, None), body).into_string()).into_response()
}

/// A page about the patient of a page context (shown in the header).
fn patient_page_with(
    web: &Web,
    s: &Session,
    ctx: &PatientContext,
    status: StatusCode,
    title: &str,
    body: Markup,
) -> Response {
    (
        status,
        Html(layout(title, &chrome(web, s, Some(ctx)), body).into_string()),
    )
        .into_response()
}

fn page_with(web: &Web, s: &Session, status: StatusCode, title: &str, body: Markup) -> Response {
    (status, page(web, s, title, body)).into_response()
}

/// A page that only says what went wrong.
fn error_page(web: &Web, s: &Session, status: StatusCode, title: &str, text: &str) -> Response {
    page_with(web, s, status, title, notice("error", text))
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// The form's CSRF token must be the session's.
fn csrf_ok(s: &Session, token: &str) -> bool {
    !s.csrf.is_empty() && same_secret(&s.csrf, token)
}

fn forbidden_form(web: &Web, s: &Session) -> Response {
    error_page(
        web,
        s,
        StatusCode::FORBIDDEN,
        "Formuläret gick inte att skicka",
        "Formuläret var för gammalt eller kom inte från den här sidan. Ladda om sidan och försök igen.",
    )
}

/// The page's patient handle, in every request about a patient (query or form field `p`).
#[derive(Deserialize, Default)]
pub struct PatientRef {
    #[serde(default)]
    p: String,
}

/// What a request about a patient works with: the session, the actor as the directory says
/// now, and the patient context of the page.
struct Working {
    s: Session,
    actor: Actor,
    ctx: PatientContext,
}

/// Why a request about a patient cannot go on.
enum NotWorking {
    /// Log in or choose an assignment first.
    To(&'static str),
    /// The chosen assignment is gone from the directory (or no longer for care).
    AssignmentGone,
    /// The page's patient handle is not one of this session's.
    UnknownPatient,
    /// The directory cannot be reached: nothing is shown.
    DirectoryDown,
}

impl NotWorking {
    fn status(&self) -> StatusCode {
        match self {
            NotWorking::To(_) => StatusCode::UNAUTHORIZED,
            NotWorking::AssignmentGone => StatusCode::FORBIDDEN,
            NotWorking::UnknownPatient => StatusCode::NOT_FOUND,
            NotWorking::DirectoryDown => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn text(&self) -> &'static str {
        match self {
            NotWorking::To(_) => "Du är inte inloggad. Logga in igen.",
            NotWorking::AssignmentGone => ASSIGNMENT_GONE,
            NotWorking::UnknownPatient => {
                "Sidan gäller en patient som inte längre är öppen. Välj patienten igen."
            }
            NotWorking::DirectoryDown => {
                "HSA-katalogen kan inte nås just nu. Av säkerhetsskäl visas ingen information. Försök igen om en stund."
            }
        }
    }

    /// As a whole page.
    fn page(self, web: &Web, s: &Session) -> Response {
        match self {
            NotWorking::To(to) => see_other(to),
            NotWorking::AssignmentGone => see_other("/uppdrag?andrat=1"),
            NotWorking::UnknownPatient => page_with(
                web,
                s,
                self.status(),
                "Patienten är inte öppen",
                html! {
                    (notice("error", self.text()))
                    p { a href="/patient" { "Välj patient" } }
                },
            ),
            NotWorking::DirectoryDown => error_page(
                web,
                s,
                self.status(),
                "Informationen kan inte visas",
                self.text(),
            ),
        }
    }

    /// As an overview part (a fragment the page's script shows as it is).
    fn part(self, t: InformationType) -> Response {
        (
            self.status(),
            Html(
                html! { section.part data-testid=(format!("part-{}", t.key())) { h2 { (t.name()) } (notice("error", self.text())) } }
                    .into_string(),
            ),
        )
            .into_response()
    }
}

const ASSIGNMENT_GONE: &str =
    "Ditt medarbetaruppdrag har ändrats eller tagits bort i HSA-katalogen. Välj uppdrag igen.";

/// The chosen assignment as the directory says now: rights removed there reach open sessions
/// at their next request. A changed assignment replaces the session's; a removed one (or one no
/// longer for care and treatment) ends the choice and every open patient.
async fn current_actor(web: &Web, id: &SessionId, s: &Session) -> Result<Actor, NotWorking> {
    let (Some(actor), Some((person, _))) = (s.actor.as_ref(), s.person.as_ref()) else {
        return Err(NotWorking::To(if s.person.is_some() {
            "/uppdrag"
        } else {
            "/logga-in"
        }));
    };
    match web.directory.actor(person, &actor.assignment.hsa_id).await {
        Ok(Some(now)) if now.assignment.purpose == PURPOSE_CARE => {
            if now != *actor {
                tracing::info!("the chosen assignment changed in the directory");
                let fresh = now.clone();
                web.sessions.update(&id.id, |s| s.actor = Some(fresh));
            }
            Ok(now)
        }
        Ok(_) => {
            tracing::info!("the chosen assignment is gone from the directory");
            web.sessions.update(&id.id, |s| {
                s.actor = None;
                s.patients.clear();
            });
            Err(NotWorking::AssignmentGone)
        }
        Err(e) => {
            tracing::error!(error = %e, "directory unavailable: nothing is shown");
            Err(NotWorking::DirectoryDown)
        }
    }
}

/// The actor (rechecked against the directory) and the patient of the page's handle.
async fn working(
    web: &Web,
    id: &SessionId,
    handle: &str,
) -> Result<Working, (Session, NotWorking)> {
    let s = session(web, id);
    let actor = match current_actor(web, id, &s).await {
        Ok(a) => a,
        Err(e) => return Err((s, e)),
    };
    let Some(ctx) = s.context(handle).cloned() else {
        return Err((s, NotWorking::UnknownPatient));
    };
    Ok(Working { s, actor, ctx })
}

fn now_ts() -> String {
    npo_riv::time::now_timestamp()
}

fn in_hours(h: i64) -> String {
    npo_riv::time::shifted(&now_ts(), chrono::Duration::hours(h)).unwrap_or_default()
}

/// The end of today, Swedish local time (`YYYYMMDD235959`).
fn end_of_today() -> String {
    format!("{}235959", npo_riv::time::today())
}

/// The overview of a page's patient.
fn overview_url(handle: &str) -> String {
    format!("/oversikt?p={handle}")
}

/// Where a registration through the gate leads: back to the overview, to the relation form if
/// that is what is missing, or to the refusal.
fn registered<T>(web: &Web, w: &Working, result: Result<T, Refusal>) -> Response {
    match result {
        Ok(_) | Err(Refusal::NoRelation) => see_other(&overview_url(&w.ctx.handle)),
        Err(r) => refusal_page(web, &w.s, &w.ctx, &r),
    }
}

/// What every form about a page's patient checks first: the CSRF token, the assignment as the
/// directory says now, and the page's patient. (The PDL preconditions are the gate's.)
async fn checked_patient_form(
    web: &Web,
    id: &SessionId,
    csrf: &str,
    handle: &str,
) -> Result<Working, Box<Response>> {
    let s = session(web, id);
    if !csrf_ok(&s, csrf) {
        return Err(Box::new(forbidden_form(web, &s)));
    }
    working(web, id, handle)
        .await
        .map_err(|(s, e)| Box::new(e.page(web, &s)))
}

fn refusal_page(web: &Web, s: &Session, ctx: &PatientContext, r: &Refusal) -> Response {
    let status = match r {
        Refusal::CheckUnavailable(_) | Refusal::LogUnavailable | Refusal::NotSaved(_) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        Refusal::InvalidPatient => StatusCode::BAD_REQUEST,
        _ => StatusCode::FORBIDDEN,
    };
    patient_page_with(
        web,
        s,
        ctx,
        status,
        "Informationen kan inte visas",
        html! {
            (notice("error", r.explanation()))
            p { a href="/patient" { "Välj en annan patient" } }
        },
    )
}

// ---------------------------------------------------------------------------------------------
// static

pub async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        pages::CSS,
    )
        .into_response()
}

pub async fn js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        pages::JS,
    )
        .into_response()
}

pub async fn not_found(State(web): WebState, Extension(id): Extension<SessionId>) -> Response {
    let s = session(&web, &id);
    page_with(
        &web,
        &s,
        StatusCode::NOT_FOUND,
        "Sidan finns inte",
        html! { p { a href="/" { "Till startsidan" } } },
    )
}

// ---------------------------------------------------------------------------------------------
// login

pub async fn home(State(web): WebState, Extension(id): Extension<SessionId>) -> Response {
    let s = session(&web, &id);
    see_other(match (&s.person, &s.actor) {
        (None, _) => "/logga-in",
        (Some(_), None) => "/uppdrag",
        (Some(_), Some(_)) => "/patient",
    })
}

pub async fn login_page(
    State(web): WebState,
    Extension(id): Extension<SessionId>,
    Extension(peer): Extension<PeerIdentity>,
) -> Response {
    let s = session(&web, &id);
    let body = html! {
        @match (&peer.hsa_id, &peer.common_name) {
            (Some(hsa), name) => {
                p { "Ditt e-tjänstekort: " strong { (name.as_deref().unwrap_or("")) } " (" (hsa) ")." }
                form method="post" action="/logga-in" {
                    (csrf(&s.csrf))
                    button type="submit" { "Logga in med e-tjänstekort" }
                }
            }
            (None, _) => {
                (notice("info", "Inget e-tjänstekort (SITHS) hittades. Sätt i kortet och ladda om sidan."))
            }
        }
        @if web.cfg.demo_mode {
            p { a href="/demo" { "Logga in som demoanvändare" } }
        }
    };
    page(&web, &s, "Logga in", body)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn login(
    State(web): WebState,
    Extension(id): Extension<SessionId>,
    Extension(peer): Extension<PeerIdentity>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let s = session(&web, &id);
    if !csrf_ok(&s, &f.csrf) {
        return forbidden_form(&web, &s);
    }
    let Some(hsa) = peer.hsa_id.clone() else {
        return error_page(
            &web,
            &s,
            StatusCode::UNAUTHORIZED,
            "Logga in",
            "Inget e-tjänstekort hittades. Sätt i kortet och ladda om sidan.",
        );
    };
    log_in(&web, &id, &s, &hsa, false).await
}

/// Looks the person up and offers their assignments for care and treatment.
async fn log_in(web: &Web, id: &SessionId, s: &Session, hsa: &str, demo: bool) -> Response {
    let person = match web.directory.person(hsa).await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "directory unavailable at login");
            return error_page(
                web,
                s,
                StatusCode::SERVICE_UNAVAILABLE,
                "Inloggningen misslyckades",
                "HSA-katalogen kan inte nås just nu. Försök igen om en stund.",
            );
        }
    };
    let Some(person) = person else {
        return error_page(
            web,
            s,
            StatusCode::FORBIDDEN,
            "Inloggningen nekades",
            "Du finns inte i HSA-katalogen och kan inte logga in.",
        );
    };
    let assignments = match web.directory.assignments_of(hsa).await {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, "directory unavailable at login");
            return error_page(
                web,
                s,
                StatusCode::SERVICE_UNAVAILABLE,
                "Inloggningen misslyckades",
                "HSA-katalogen kan inte nås just nu. Försök igen om en stund.",
            );
        }
    };
    let care: Vec<_> = assignments
        .into_iter()
        .filter(|a| a.purpose == PURPOSE_CARE)
        .collect();
    if care.is_empty() {
        return error_page(
            web,
            s,
            StatusCode::FORBIDDEN,
            "Inloggningen nekades",
            "Du har inget medarbetaruppdrag med syftet Vård och behandling. Kontakta din behörighetsadministratör.",
        );
    }
    // The session starts here (a new id: nothing before login can fix it). A context launch
    // waiting for login goes along only for the user it was made for.
    let Some((new_id, _)) = web
        .sessions
        .try_create((person.hsa_id.clone(), person.full_name()))
    else {
        return error_page(
            web,
            s,
            StatusCode::SERVICE_UNAVAILABLE,
            "Inloggningen misslyckades",
            "Tjänsten är hårt belastad just nu. Försök igen om en stund.",
        );
    };
    if !id.id.is_empty() {
        web.sessions.remove(&id.id);
    }
    let pending = id
        .pending
        .clone()
        .filter(|p| p.user == person.hsa_id && !web.launch_was_used(&p.link_id));
    web.sessions.update(&new_id, |s| {
        s.demo = demo;
        s.assignments = care;
        s.pending_launch = pending;
    });
    tracing::info!(user = %person.hsa_id, demo, "logged in");
    let mut resp = see_other("/uppdrag");
    let h = resp.headers_mut();
    h.append(header::SET_COOKIE, session_cookie(&new_id));
    if id.pending.is_some() {
        h.append(
            header::SET_COOKIE,
            cookie_header(prelogin::LAUNCH_COOKIE, "", Some(0)),
        );
    }
    resp
}

pub async fn demo_page(State(web): WebState, Extension(id): Extension<SessionId>) -> Response {
    let s = session(&web, &id);
    if !web.cfg.demo_mode {
        return not_found(State(web), Extension(id)).await;
    }
    let dir = match web.directory.load().await {
        Ok(d) => d,
        Err(_) => {
            return error_page(
                &web,
                &s,
                StatusCode::SERVICE_UNAVAILABLE,
                "Demoanvändare",
                "HSA-katalogen kan inte nås just nu.",
            );
        }
    };
    let body = html! {
        (notice("warning", "Demoläge: välj en fiktiv användare. I drift loggar man alltid in med e-tjänstekort."))
        form method="post" action="/demo/logga-in" {
            (csrf(&s.csrf))
            fieldset.choices {
                legend { "Demoanvändare" }
                @for (i, p) in dir.persons.iter().enumerate() {
                    @let units: Vec<&str> = dir.assignments.iter().filter(|a| a.person_hsa_id == p.hsa_id).map(|a| a.name.as_str()).collect();
                    label {
                        input type="radio" name="person" value=(p.hsa_id) required checked[i == 0];
                        span { strong { (p.full_name()) } ", " (p.title) " – " (units.join("; ")) " (" (p.hsa_id) ")" }
                    }
                }
            }
            button type="submit" { "Logga in" }
        }
    };
    page(&web, &s, "Demoanvändare", body)
}

#[derive(Deserialize)]
pub struct DemoLoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    person: String,
}

pub async fn demo_login(
    State(web): WebState,
    Extension(id): Extension<SessionId>,
    Form(f): Form<DemoLoginForm>,
) -> Response {
    let s = session(&web, &id);
    if !web.cfg.demo_mode {
        return not_found(State(web), Extension(id)).await;
    }
    if !csrf_ok(&s, &f.csrf) {
        return forbidden_form(&web, &s);
    }
    log_in(&web, &id, &s, &f.person, true).await
}

#[derive(Deserialize, Default)]
pub struct AssignmentQuery {
    /// Sent back here because the chosen assignment changed.
    #[serde(default)]
    andrat: Option<String>,
}

pub async fn assignment_page(
    State(web): WebState,
    Extension(id): Extension<SessionId>,
    Query(q): Query<AssignmentQuery>,
) -> Response {
    let mut s = session(&web, &id);
    let Some((person, _)) = s.person.clone() else {
        return see_other("/logga-in");
    };
    // What the directory offers now, not what it offered at login.
    match web.directory.assignments_of(&person).await {
        Ok(a) => {
            let care: Vec<_> = a
                .into_iter()
                .filter(|a| a.purpose == PURPOSE_CARE)
                .collect();
            s.assignments = care.clone();
            web.sessions.update(&id.id, |s| s.assignments = care);
        }
        Err(e) => {
            tracing::error!(error = %e, "directory unavailable");
            return error_page(
                &web,
                &s,
                StatusCode::SERVICE_UNAVAILABLE,
                "Välj medarbetaruppdrag",
                "HSA-katalogen kan inte nås just nu. Försök igen om en stund.",
            );
        }
    }
    let body = html! {
        @if q.andrat.is_some() {
            (notice("warning", ASSIGNMENT_GONE))
        }
        @if s.assignments.is_empty() {
            (notice("error", "Du har inget medarbetaruppdrag med syftet Vård och behandling. Kontakta din behörighetsadministratör."))
        }
        p { "Välj det medarbetaruppdrag du arbetar i nu. Det avgör vilken information du får se." }
        form method="post" action="/uppdrag" {
            (csrf(&s.csrf))
            fieldset.choices {
                legend { "Medarbetaruppdrag (Vård och behandling)" }
                @for (i, a) in s.assignments.iter().enumerate() {
                    label {
                        input type="radio" name="assignment" value=(a.hsa_id) required checked[i == 0];
                        span { strong { (a.name) } " – " (a.care_unit_name) ", " (a.care_giver_name) }
                    }
                }
            }
            button type="submit" { "Välj uppdrag" }
        }
    };
    page(&web, &s, "Välj medarbetaruppdrag", body)
}

#[derive(Deserialize)]
pub struct AssignmentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    assignment: String,
}

pub async fn choose_assignment(
    State(web): WebState,
    Extension(id): Extension<SessionId>,
    Form(f): Form<AssignmentForm>,
) -> Response {
    let s = session(&web, &id);
    if !csrf_ok(&s, &f.csrf) {
        return forbidden_form(&web, &s);
    }
    let Some((person, _)) = s.person.as_ref() else {
        return see_other("/logga-in");
    };
    if !s.assignments.iter().any(|a| a.hsa_id == f.assignment) {
        return error_page(
            &web,
            &s,
            StatusCode::FORBIDDEN,
            "Välj medarbetaruppdrag",
            "Uppdraget är inte ditt eller gäller inte vård och behandling.",
        );
    }
    let actor = match web.directory.actor(person, &f.assignment).await {
        Ok(Some(a)) if a.assignment.purpose == PURPOSE_CARE => a,
        Ok(_) => {
            return error_page(
                &web,
                &s,
                StatusCode::FORBIDDEN,
                "Välj medarbetaruppdrag",
                "Uppdraget finns inte längre i HSA-katalogen.",
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "directory unavailable");
            return error_page(
                &web,
                &s,
                StatusCode::SERVICE_UNAVAILABLE,
                "Välj medarbetaruppdrag",
                "HSA-katalogen kan inte nås just nu. Försök igen om en stund.",
            );
        }
    };
    let mut pending = None;
    web.sessions.update(&id.id, |s| {
        s.actor = Some(actor);
        s.patients.clear();
        pending = s.pending_launch.take();
    });
    // A context launch lands on its patient: the link is used now, by the right user.
    match pending.filter(|p| *person == p.user) {
        Some(p) => land(&web, &id, &s, &p),
        None => see_other("/patient"),
    }
}

/// The user a launch link was made for opens it: it is marked used and the patient opened.
fn land(web: &Web, id: &SessionId, s: &Session, p: &PendingLaunch) -> Response {
    let now = chrono::Utc::now().timestamp();
    if let Err(e) = web.launch_used_once(&p.link_id, p.link_exp, now) {
        return launch_error(web, s, e);
    }
    match web.sessions.open_patient(&id.id, &p.patient) {
        Some(h) => see_other(&overview_url(&h)),
        None => see_other("/logga-in"),
    }
}

pub async fn logout(
    State(web): WebState,
    Extension(id): Extension<SessionId>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let s = session(&web, &id);
    if !csrf_ok(&s, &f.csrf) {
        return forbidden_form(&web, &s);
    }
    web.sessions.remove(&id.id);
    let mut resp = page(
        &web,
        &Session::default(),
        "Du är utloggad",
        html! { p { a href="/logga-in" { "Logga in igen" } } },
    );
    resp.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(crate::session::COOKIE, "", Some(0)),
    );
    resp
}

// ---------------------------------------------------------------------------------------------
// patient

fn patient_form(s: &Session, value: &str, error: Option<&str>) -> Markup {
    html! {
        @if let Some(e) = error {
            (notice("error", e))
        }
        form method="post" action="/patient" {
            (csrf(&s.csrf))
            label for="pnr" { "Personnummer eller samordningsnummer" }
            input type="text" id="pnr" name="personnummer" value=(value) autocomplete="off"
                inputmode="numeric" required aria-describedby="pnr-hjalp"
                aria-invalid=[error.map(|_| "true")];
            p id="pnr-hjalp" class="meta" { "Tolv siffror, till exempel 19121212-1212." }
            button type="submit" { "Sök patient" }
        }
    }
}

pub async fn patient_page(State(web): WebState, Extension(id): Extension<SessionId>) -> Response {
    let s = session(&web, &id);
    if s.actor.is_none() {
        return see_other("/");
    }
    let body = patient_form(&s, "", None);
    page(&web, &s, "Välj patient", body)
}

#[derive(Deserialize)]
pub struct PatientForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    personnummer: String,
}

pub async fn choose_patient(
    State(web): WebState,
    Extension(id): Extension<SessionId>,
    Form(f): Form<PatientForm>,
) -> Response {
    let s = session(&web, &id);
    if !csrf_ok(&s, &f.csrf) {
        return forbidden_form(&web, &s);
    }
    if s.actor.is_none() {
        return see_other("/");
    }
    let today = chrono::Local::now().date_naive();
    match ident::parse(&f.personnummer, today) {
        Ok(p) => match web.sessions.open_patient(&id.id, &p) {
            Some(h) => see_other(&overview_url(&h)),
            None => see_other("/logga-in"),
        },
        Err(e) => {
            let value: String = f.personnummer.chars().take(20).collect();
            page_with(
                &web,
                &s,
                StatusCode::UNPROCESSABLE_ENTITY,
                "Välj patient",
                patient_form(&s, &value, Some(&e.to_string())),
            )
        }
    }
}

#[derive(Deserialize)]
pub struct LaunchQuery {
    #[serde(default)]
    t: String,
}

fn launch_error(web: &Web, s: &Session, e: crate::launch::LaunchError) -> Response {
    let text = match e {
        crate::launch::LaunchError::Expired => {
            "Länken från journalsystemet har gått ut. Öppna patientöversikten igen från journalsystemet."
        }
        crate::launch::LaunchError::Invalid => {
            "Länken från journalsystemet är ogiltig. Öppna patientöversikten igen från journalsystemet."
        }
        crate::launch::LaunchError::Used => {
            "Länken från journalsystemet har redan använts. Öppna patientöversikten igen från journalsystemet."
        }
    };
    error_page(
        web,
        s,
        StatusCode::BAD_REQUEST,
        "Länken kan inte användas",
        text,
    )
}

/// `GET /kontext?t=…`: the user's record system opens npo on a patient. The link is used only
/// when the user it was made for lands on the patient; anyone else opening it changes nothing.
pub async fn context_launch(
    State(web): WebState,
    Extension(id): Extension<SessionId>,
    Query(q): Query<LaunchQuery>,
) -> Response {
    let s = session(&web, &id);
    let now = chrono::Utc::now().timestamp();
    let link_id = crate::launch::link_id(&q.t);
    let launch = match web.launch.open(&q.t, now).and_then(|l| {
        if web.launch_was_used(&link_id) {
            Err(crate::launch::LaunchError::Used)
        } else {
            Ok(l)
        }
    }) {
        Ok(l) => l,
        Err(e) => return launch_error(&web, &s, e),
    };
    let pending = PendingLaunch {
        patient: launch.patient,
        user: launch.user,
        link_id,
        link_exp: launch.exp,
    };
    match &s.person {
        Some((person, _)) if *person != pending.user => error_page(
            &web,
            &s,
            StatusCode::FORBIDDEN,
            "Länken kan inte användas",
            "Länken gäller en annan användare än den som är inloggad.",
        ),
        Some(_) if s.actor.is_some() => land(&web, &id, &s, &pending),
        Some(_) => {
            web.sessions
                .update(&id.id, |s| s.pending_launch = Some(pending));
            see_other("/uppdrag")
        }
        None => {
            // Nothing is kept on the server before login: the launch waits in a sealed cookie.
            let mut resp = see_other("/logga-in");
            resp.headers_mut().append(
                header::SET_COOKIE,
                cookie_header(
                    prelogin::LAUNCH_COOKIE,
                    &web.prelogin.seal_pending(&pending, now),
                    Some(prelogin::PENDING_TTL_SECONDS),
                ),
            );
            resp
        }
    }
}

#[derive(Deserialize)]
pub struct LaunchRequest {
    patient: String,
    user: String,
}

fn api_error(status: StatusCode, text: &str) -> Response {
    (status, Json(serde_json::json!({ "error": text }))).into_response()
}

/// `POST /api/kontext`: a record system (by its certificate) asks for a launch URL, for a user
/// with an assignment at the system's own care giver.
pub async fn api_launch_url(
    State(web): WebState,
    Extension(peer): Extension<PeerIdentity>,
    Json(req): Json<LaunchRequest>,
) -> Response {
    let Some(system) = peer.hsa_id.as_deref() else {
        return api_error(StatusCode::FORBIDDEN, "this system may not launch npo");
    };
    if !peer.is_one_of(&web.cfg.launch_systems) {
        return api_error(StatusCode::FORBIDDEN, "this system may not launch npo");
    }
    if !npo_riv::ids::is_valid_personal_identity(&req.patient)
        || !npo_riv::ids::is_hsa_id(&req.user)
    {
        return api_error(
            StatusCode::BAD_REQUEST,
            "patient must be a valid 12-digit personal identity and user an HSA-id",
        );
    }
    // The system's care giver, from the directory; its users are those with an assignment
    // there.
    let (system, assignments) = tokio::join!(
        web.directory.system(system),
        web.directory.assignments_of(&req.user)
    );
    let (system, assignments) = match (system, assignments) {
        (Ok(s), Ok(a)) => (s, a),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "directory unavailable");
            return api_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the directory is unavailable; try again later",
            );
        }
    };
    // The same registration the security API uses: the system's own care giver and the ones
    // the directory registers it for.
    let Some(system) = system else {
        return api_error(
            StatusCode::FORBIDDEN,
            "this system is not in the directory and may not launch npo",
        );
    };
    if !assignments
        .iter()
        .any(|a| system.serves(&a.care_giver_hsa_id))
    {
        return api_error(
            StatusCode::FORBIDDEN,
            "the user has no assignment at a care giver this system serves",
        );
    }
    Json(serde_json::json!({ "url": web.launch_url(&req.patient, &req.user) })).into_response()
}

// ---------------------------------------------------------------------------------------------
// the PDL flow

/// `GET /oversikt?p=…`: the PDL checks, then the overview (or what is missing first) of the
/// page's patient.
pub async fn overview(
    State(web): WebState,
    Extension(id): Extension<SessionId>,
    Query(pr): Query<PatientRef>,
    Query(filter): Query<Filter>,
) -> Response {
    let w = match working(&web, &id, &pr.p).await {
        Ok(w) => w,
        Err((s, e)) => return e.page(&web, &s),
    };
    let (s, ctx) = (&w.s, &w.ctx);
    let (basis, revoked_until) = match web.gate.status(&w.actor, &ctx.patient).await {
        Ok(st) => (st.basis, st.blocks_lifted_until),
        Err(Refusal::NoRelation) => return relation_page(&web, s, ctx),
        Err(r) => return refusal_page(&web, s, ctx, &r),
    };
    if basis == Basis::OwnCareGiverOnly && !ctx.own_care_giver_only {
        return consent_page(&web, s, ctx, None);
    }
    if let Err(e) = filter.period() {
        return patient_page_with(
            &web,
            s,
            ctx,
            StatusCode::BAD_REQUEST,
            "Översikt",
            html! {
                (notice("error", e))
                p { a href=(overview_url(&ctx.handle)) { "Visa översikten för de senaste 3 månaderna" } }
            },
        );
    }
    let care_givers = care_giver_choices(&web);
    let qs = query(ctx, &filter);
    let body = html! {
        @match basis {
            Basis::Emergency => (notice("warning", "Nödöppning: du ser information från andra vårdgivare utan patientens samtycke. All åtkomst loggas och följs upp.")),
            Basis::Consent => p.basis { "Patienten har samtyckt till att du tar del av information från andra vårdgivare." },
            Basis::OwnCareGiverOnly => div.notice.info role="status" data-testid="own-only" {
                p { "Du ser bara din egen vårdgivares information (inget samtycke registrerat). "
                    a href=(format!("/samtycke?p={}", ctx.handle)) { "Registrera samtycke eller gör nödöppning" } }
            },
        }
        @if let Some(until) = revoked_until {
            div.notice.warning role="status" data-testid="revoke-in-effect" {
                p { "Spärrad information visas för dig: spärren är tillfälligt hävd till och med " (time(&until)) ". Det du ser loggas som hävd spärr." }
            }
        }
        (filters_form(&filter, &care_givers, "/oversikt", &ctx.handle))
        p id="laddning" class="loading" role="status" aria-live="polite" { "Hämtar information från vårdgivarna …" }
        div.grid data-patient=(ctx.handle) {
            @for t in InformationType::ALL {
                section.part data-part=(format!("/oversikt/del/{}?{qs}", t.key())) aria-busy="true" {
                    h2 { (t.name()) }
                    p.loading { "Hämtar …" }
                }
            }
        }
        noscript { p { "Utan JavaScript: öppna varje informationstyp för sig." }
            ul { @for t in InformationType::ALL { li { a href=(format!("/typ/{}?{qs}", t.key())) { (t.name()) } } } } }
    };
    patient_page_with(&web, s, ctx, StatusCode::OK, "Översikt", body)
}

/// The query string of a page's links: the patient handle and the filter.
fn query(ctx: &PatientContext, filter: &Filter) -> String {
    format!("p={}&{}", ctx.handle, filter.query_string())
}

fn patient_field(ctx: &PatientContext) -> Markup {
    html! { input type="hidden" name="p" value=(ctx.handle); }
}

fn relation_page(web: &Web, s: &Session, ctx: &PatientContext) -> Response {
    let body = html! {
        (notice("info", "Du behöver intyga att du har en patientrelation (att du deltar i vården av patienten) innan du kan se patientens uppgifter."))
        form method="post" action="/relation" {
            (csrf(&s.csrf))
            (patient_field(ctx))
            label for="giltig" { "Relationen gäller" }
            select id="giltig" name="days" {
                option value="1" selected { "I dag (24 timmar)" }
                option value="7" { "7 dagar" }
                option value="30" { "30 dagar" }
            }
            p { button type="submit" { "Jag intygar att jag har en patientrelation" } }
        }
    };
    patient_page_with(web, s, ctx, StatusCode::OK, "Patientrelation", body)
}

#[derive(Deserialize)]
pub struct RelationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    p: String,
    #[serde(default)]
    days: i64,
}

pub async fn attest_relation(
    State(web): WebState,
    Extension(id): Extension<SessionId>,
    Form(f): Form<RelationForm>,
) -> Response {
    let w = match checked_patient_form(&web, &id, &f.csrf, &f.p).await {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let days = if [1, 7, 30].contains(&f.days) {
        f.days
    } else {
        1
    };
    let result = web
        .gate
        .attest_relation(&w.actor, &w.ctx.patient, &in_hours(days * 24))
        .await;
    registered(&web, &w, result)
}

fn consent_page(web: &Web, s: &Session, ctx: &PatientContext, error: Option<&str>) -> Response {
    let body = html! {
        @if let Some(e) = error { (notice("error", e)) }
        p { "Andra vårdgivare kan ha information om patienten. För att ta del av den krävs patientens samtycke, eller nödöppning om patienten inte kan samtycka och informationen behövs för vården." }
        form method="post" action="/samtycke" {
            (csrf(&s.csrf))
            (patient_field(ctx))
            fieldset {
                legend { "Patientens samtycke" }
                div.choices {
                    label { input type="radio" name="scope" value="enhet" checked; span { "Gäller vårdenheten" } }
                    label { input type="radio" name="scope" value="person"; span { "Gäller bara mig" } }
                }
                label for="samtycke-dagar" { "Giltigt" }
                select id="samtycke-dagar" name="days" {
                    option value="1" selected { "I dag" }
                    option value="30" { "30 dagar" }
                    option value="365" { "Ett år" }
                }
                p { button type="submit" { "Registrera samtycke" } }
            }
        }
        form method="post" action="/nodoppning" {
            (csrf(&s.csrf))
            (patient_field(ctx))
            fieldset {
                legend { "Nödöppning" }
                label for="skal" { "Skäl (krävs)" }
                textarea id="skal" name="reason" rows="2" cols="50" required maxlength="500" {}
                label for="nod-timmar" { "Giltig" }
                select id="nod-timmar" name="hours" {
                    option value="2" selected { "2 timmar" }
                    option value="8" { "8 timmar" }
                    option value="24" { "24 timmar" }
                }
                p { button type="submit" { "Gör nödöppning" } }
            }
        }
        form method="post" action="/utan-samtycke" {
            (csrf(&s.csrf))
            (patient_field(ctx))
            button.secondary type="submit" { "Fortsätt utan samtycke (bara min vårdgivares information)" }
        }
    };
    patient_page_with(
        web,
        s,
        ctx,
        StatusCode::OK,
        "Samtycke eller nödöppning",
        body,
    )
}

/// `GET /samtycke?p=…`: back to consent or emergency access, e.g. after continuing without
/// consent.
pub async fn consent_choice(
    State(web): WebState,
    Extension(id): Extension<SessionId>,
    Query(pr): Query<PatientRef>,
) -> Response {
    let w = match working(&web, &id, &pr.p).await {
        Ok(w) => w,
        Err((s, e)) => return e.page(&web, &s),
    };
    match web.gate.check(&w.actor, &w.ctx.patient).await {
        Ok(_) => consent_page(&web, &w.s, &w.ctx, None),
        Err(Refusal::NoRelation) => relation_page(&web, &w.s, &w.ctx),
        Err(r) => refusal_page(&web, &w.s, &w.ctx, &r),
    }
}

#[derive(Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    p: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    days: i64,
}

pub async fn register_consent(
    State(web): WebState,
    Extension(id): Extension<SessionId>,
    Form(f): Form<ConsentForm>,
) -> Response {
    let w = match checked_patient_form(&web, &id, &f.csrf, &f.p).await {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let scope = if f.scope == "person" {
        ConsentScope::Person
    } else {
        ConsentScope::CareUnit
    };
    let days = if [1, 30, 365].contains(&f.days) {
        f.days
    } else {
        1
    };
    let c = NewConsent {
        patient_id: w.ctx.patient.clone(),
        scope,
        valid_from: now_ts(),
        valid_to: in_hours(days * 24),
        represented_by: None,
    };
    let result = web.gate.register_consent(&w.actor, &c).await;
    registered(&web, &w, result)
}

#[derive(Deserialize)]
pub struct EmergencyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    p: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    hours: i64,
}

pub async fn emergency_access(
    State(web): WebState,
    Extension(id): Extension<SessionId>,
    Form(f): Form<EmergencyForm>,
) -> Response {
    let w = match checked_patient_form(&web, &id, &f.csrf, &f.p).await {
        Ok(w) => w,
        Err(r) => return *r,
    };
    if f.reason.trim().is_empty() {
        return consent_page(&web, &w.s, &w.ctx, Some("Ange skälet till nödöppningen."));
    }
    let hours = if [2, 8, 24].contains(&f.hours) {
        f.hours
    } else {
        2
    };
    let reason: String = f.reason.chars().take(500).collect();
    let result = web
        .gate
        .register_emergency(&w.actor, &w.ctx.patient, &reason, hours)
        .await;
    registered(&web, &w, result)
}

#[derive(Deserialize)]
pub struct PatientActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    p: String,
}

pub async fn without_consent(
    State(web): WebState,
    Extension(id): Extension<SessionId>,
    Form(f): Form<PatientActionForm>,
) -> Response {
    let w = match checked_patient_form(&web, &id, &f.csrf, &f.p).await {
        Ok(w) => w,
        Err(r) => return *r,
    };
    web.sessions.update(&id.id, |s| {
        if let Some(c) = s.context_mut(&w.ctx.handle) {
            c.own_care_giver_only = true;
        }
    });
    see_other(&overview_url(&w.ctx.handle))
}

// ---------------------------------------------------------------------------------------------
// the overview and its parts

/// The time and care-giver filters.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Filter {
    #[serde(default)]
    period: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    vg: Option<String>,
}

fn clean(s: &Option<String>, allowed: impl Fn(char) -> bool) -> String {
    s.as_deref()
        .unwrap_or("")
        .chars()
        .filter(|c| allowed(*c))
        .take(40)
        .collect()
}

impl Filter {
    fn period_key(&self) -> &str {
        match self.period.as_deref() {
            Some("3m") | None => "3m",
            Some("12m") => "12m",
            Some("all") => "all",
            Some("custom") => "custom",
            Some(_) => "3m",
        }
    }

    /// The date period asked for; the default is the last three months.
    fn period(&self) -> Result<Option<DatePeriod>, &'static str> {
        let today = chrono::Local::now().date_naive();
        let back = |months: u32| {
            today
                .checked_sub_months(chrono::Months::new(months))
                .unwrap_or(today)
        };
        let ymd = |d: chrono::NaiveDate| d.format("%Y%m%d").to_string();
        Ok(match self.period_key() {
            "3m" => Some(DatePeriod {
                start: ymd(back(3)),
                end: ymd(today),
            }),
            "12m" => Some(DatePeriod {
                start: ymd(back(12)),
                end: ymd(today),
            }),
            "all" => None,
            _ => {
                let parse = |s: &Option<String>| {
                    chrono::NaiveDate::parse_from_str(s.as_deref().unwrap_or(""), "%Y-%m-%d").ok()
                };
                let (Some(from), Some(to)) = (parse(&self.from), parse(&self.to)) else {
                    return Err("Ange både från- och tilldatum (ÅÅÅÅ-MM-DD) för en egen period.");
                };
                if to < from {
                    return Err("Tilldatum ligger före fråndatum.");
                }
                Some(DatePeriod {
                    start: ymd(from),
                    end: ymd(to),
                })
            }
        })
    }

    fn care_givers(&self) -> Vec<String> {
        let vg = clean(&self.vg, |c| c.is_ascii_alphanumeric() || c == '-');
        if vg.is_empty() { Vec::new() } else { vec![vg] }
    }

    /// The filter as a query string (only safe characters are kept).
    fn query_string(&self) -> String {
        let mut q = format!("period={}", self.period_key());
        if self.period_key() == "custom" {
            let d = |c: char| c.is_ascii_digit() || c == '-';
            q.push_str(&format!(
                "&from={}&to={}",
                clean(&self.from, d),
                clean(&self.to, d)
            ));
        }
        if let Some(vg) = self.care_givers().first() {
            q.push_str(&format!("&vg={vg}"));
        }
        q
    }
}

/// The care givers of the filter, by name: (HSA-id, name).
fn care_giver_choices(web: &Web) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = web
        .cfg
        .care_giver_names
        .iter()
        .map(|(id, name)| (id.clone(), name.clone()))
        .collect();
    v.sort_by(|a, b| a.1.cmp(&b.1));
    v
}

fn filters_form(
    f: &Filter,
    care_givers: &[(String, String)],
    action: &str,
    handle: &str,
) -> Markup {
    let p = f.period_key();
    let vg = f.care_givers();
    html! {
        form.filters method="get" action=(action) {
            input type="hidden" name="p" value=(handle);
            div {
                label for="period" { "Tidsperiod" }
                select id="period" name="period" {
                    option value="3m" selected[p == "3m"] { "Senaste 3 månaderna" }
                    option value="12m" selected[p == "12m"] { "Senaste 12 månaderna" }
                    option value="all" selected[p == "all"] { "All tid" }
                    option value="custom" selected[p == "custom"] { "Egen period" }
                }
            }
            div id="egen-period" {
                label for="from" { "Från" }
                input type="date" id="from" name="from" value=(f.from.clone().unwrap_or_default());
                label for="to" { "Till" }
                input type="date" id="to" name="to" value=(f.to.clone().unwrap_or_default());
            }
            div {
                label for="vg" { "Vårdgivare" }
                select id="vg" name="vg" {
                    option value="" { "Alla vårdgivare" }
                    @for (id, name) in care_givers {
                        option value=(id) selected[vg.first() == Some(id)] { (name) }
                    }
                }
            }
            button type="submit" { "Visa" }
        }
    }
}

/// Why a type could not be read.
enum ReadFailure {
    BadFilter(&'static str),
    Refused(InformationType, Refusal),
}

impl ReadFailure {
    /// As an overview part (a fragment the page's script shows as it is).
    fn part(self) -> Response {
        match self {
            ReadFailure::BadFilter(e) => (
                StatusCode::BAD_REQUEST,
                Html(notice("error", e).into_string()),
            )
                .into_response(),
            ReadFailure::Refused(t, r) => (
                StatusCode::FORBIDDEN,
                Html(
                    html! { section.part data-testid=(format!("part-{}", t.key())) { h2 { (t.name()) } (notice("error", r.explanation())) } }
                        .into_string(),
                ),
            )
                .into_response(),
        }
    }

    /// As a whole page, with the layout and a way on.
    fn page(self, web: &Web, w: &Working, t: InformationType) -> Response {
        match self {
            ReadFailure::BadFilter(e) => patient_page_with(
                web,
                &w.s,
                &w.ctx,
                StatusCode::BAD_REQUEST,
                t.name(),
                html! {
                    (notice("error", e))
                    p { a href=(format!("/typ/{}?p={}", t.key(), w.ctx.handle)) { "Visa de senaste 3 månaderna" } }
                },
            ),
            ReadFailure::Refused(_, r) => refusal_page(web, &w.s, &w.ctx, &r),
        }
    }
}

/// The types whose ongoing items show whatever the period: conditions that go on and
/// medication prescribed now matter today even if registered long ago.
fn reads_ongoing(t: InformationType) -> bool {
    matches!(t, InformationType::Diagnosis | InformationType::Medication)
}

/// Reads one type through the gate with the filters; the gate returns and logs only what
/// `delivery` says the page shows.
async fn read_type(
    web: &Web,
    actor: &Actor,
    patient: &str,
    t: InformationType,
    filter: &Filter,
    delivery: Delivery,
) -> Result<ReadAnswer, ReadFailure> {
    let period = filter.period().map_err(ReadFailure::BadFilter)?;
    // Diagnoses and medications are read without the period and kept if in the period or
    // ongoing/current.
    let asked = if reads_ongoing(t) {
        None
    } else {
        period.clone()
    };
    // What is shown is what is delivered (and logged): the period rule is part of the delivery.
    let delivery = match period.clone() {
        Some(period) if reads_ongoing(t) => {
            let today = npo_riv::time::today();
            delivery.and(move |r: &Record| crate::ongoing::shown_in_period(r, &period, &today))
        }
        _ => delivery,
    };
    web.gate
        .read(
            actor,
            &ReadRequest {
                patient_id: patient.to_owned(),
                types: vec![t],
                period: asked,
                care_givers: filter.care_givers(),
                delivery,
            },
        )
        .await
        .map_err(|r| ReadFailure::Refused(t, r))
}

/// A record's handle in URLs: a keyed hash of its source and document id, per session.
fn handle(s: &Session, r: &Record) -> String {
    handle_with(&s.handle_key, r)
}

fn handle_with(handle_key: &[u8], r: &Record) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, handle_key);
    let m = r.meta();
    let tag = hmac::sign(
        &key,
        format!("{}\n{}", m.source_system, m.document_id).as_bytes(),
    );
    hex::encode(&tag.as_ref()[..16])
}

/// Newest first; flags stay marks, not an order.
fn sorted(records: &[Record]) -> Vec<(&Record, npo_riv::ItemView)> {
    let mut v: Vec<_> = records.iter().map(|r| (r, r.view())).collect();
    v.sort_by(|a, b| b.1.time.cmp(&a.1.time));
    v
}

fn sources_line(web: &Web, answer: &ReadAnswer) -> Markup {
    let name = |la: &str| {
        web.cfg
            .source_names
            .get(la)
            .cloned()
            .unwrap_or_else(|| la.to_owned())
    };
    let ok: Vec<String> = answer
        .sources
        .iter()
        .filter(|(_, s)| s.status == SourceStatus::DataFromSource)
        .map(|(_, s)| name(&s.logical_address))
        .collect();
    let down: Vec<String> = answer
        .sources
        .iter()
        .filter(|(_, s)| s.status != SourceStatus::DataFromSource)
        .map(|(_, s)| name(&s.logical_address))
        .collect();
    html! {
        div.sources data-testid="sources" {
            @if !ok.is_empty() { span { "Svarade: " (ok.join(", ")) ". " } }
            @if !down.is_empty() { span.down data-testid="sources-down" { "Svarade inte: " (down.join(", ")) "." } }
            @if !answer.unavailable_types.is_empty() { span.down { "Informationstypen kunde inte hämtas just nu." } }
        }
    }
}

fn part_notices(answer: &ReadAnswer, ctx: &PatientContext) -> Markup {
    html! {
        @if answer.blocked_information_exists {
            div.notice.warning role="status" data-testid="blocked" {
                p { "Det finns spärrad information som inte visas. " a href=(format!("/sparr?p={}", ctx.handle)) { "Häv spärr tillfälligt" } }
            }
        }
        @if answer.consent_needed {
            div.notice role="status" {
                p { "Andra vårdgivare har information som kräver samtycke eller nödöppning. "
                    a href=(format!("/samtycke?p={}", ctx.handle)) { "Registrera samtycke eller gör nödöppning" } }
            }
        }
    }
}

/// `GET /oversikt/del/{key}?p=…`: one type's part of the overview (an HTML fragment), for the
/// patient of the page's handle only.
pub async fn overview_part(
    State(web): WebState,
    Extension(id): Extension<SessionId>,
    Path(key): Path<String>,
    Query(pr): Query<PatientRef>,
    Query(filter): Query<Filter>,
) -> Response {
    let Some(t) = InformationType::from_key(&key) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let w = match working(&web, &id, &pr.p).await {
        Ok(w) => w,
        Err((_, e)) => return e.part(t),
    };
    let answer = match read_type(
        &web,
        &w.actor,
        &w.ctx.patient,
        t,
        &filter,
        Delivery::latest(LATEST),
    )
    .await
    {
        Ok(a) => a,
        Err(f) => return f.part(),
    };
    let (s, ctx) = (&w.s, &w.ctx);
    let items = sorted(&answer.records);
    let total = answer.matching;
    let attention = items.iter().any(|(_, v)| v.attention);
    let qs = query(ctx, &filter);
    let html = html! {
        section.part.attention[attention] data-testid=(format!("part-{}", t.key())) data-patient=(ctx.handle) aria-labelledby=(format!("rubrik-{}", t.key())) {
            h2 id=(format!("rubrik-{}", t.key())) { (t.name()) " " span.meta { "(" (total) ")" } }
            p.meta.part-patient data-testid="part-patient" { "Patient " (ident::display(&ctx.patient)) }
            (part_notices(&answer, ctx))
            @if items.is_empty() {
                p.meta { "Ingen information under vald period." }
            } @else {
                ul.items {
                    @for (r, v) in items.iter().take(LATEST) {
                        li {
                            a href=(format!("/post/{}/{}?{qs}", t.key(), handle(s, r))) { (v.title) }
                            @if v.attention { span.flag { "Observera" } }
                            br;
                            span.meta { (time(&v.time)) " · " (giver_name(&web, r)) }
                        }
                    }
                }
                @if total > LATEST {
                    p { a href=(format!("/typ/{}?{qs}", t.key())) { "Visa alla " (total) } }
                } @else {
                    p { a href=(format!("/typ/{}?{qs}", t.key())) { "Visa lista" } }
                }
            }
            (sources_line(&web, &answer))
        }
    };
    Html(html.into_string()).into_response()
}

fn unit_name(web: &Web, unit: &str) -> String {
    web.cfg
        .care_unit_names
        .get(unit)
        .cloned()
        .unwrap_or_else(|| unit.to_owned())
}

fn giver_name(web: &Web, r: &Record) -> String {
    let m = r.meta();
    let giver = m.care_giver.unwrap_or("");
    web.cfg
        .care_giver_names
        .get(giver)
        .cloned()
        .unwrap_or_else(|| giver.to_owned())
}

/// `GET /typ/{key}?p=…`: every record of one type.
pub async fn type_list(
    State(web): WebState,
    Extension(id): Extension<SessionId>,
    Path(key): Path<String>,
    Query(pr): Query<PatientRef>,
    Query(filter): Query<Filter>,
) -> Response {
    let Some(t) = InformationType::from_key(&key) else {
        return not_found(State(web.clone()), Extension(id)).await;
    };
    let w = match working(&web, &id, &pr.p).await {
        Ok(w) => w,
        Err((s, e)) => return e.page(&web, &s),
    };
    let answer = match read_type(&web, &w.actor, &w.ctx.patient, t, &filter, Delivery::all()).await
    {
        Ok(a) => a,
        Err(f) => return f.page(&web, &w, t),
    };
    let (s, ctx) = (&w.s, &w.ctx);
    let care_givers = care_giver_choices(&web);
    let qs = query(ctx, &filter);
    let items = sorted(&answer.records);
    let body = html! {
        p { a href=(format!("/oversikt?{qs}")) { "Tillbaka till översikten" } }
        (filters_form(&filter, &care_givers, &format!("/typ/{}", t.key()), &ctx.handle))
        (part_notices(&answer, ctx))
        @if items.is_empty() {
            p { "Ingen information under vald period." }
        } @else {
            table {
                caption.meta { (items.len()) " poster" }
                thead { tr { th scope="col" { "Datum" } th scope="col" { "Uppgift" } th scope="col" { "Vårdgivare" } } }
                tbody {
                    @for (r, v) in &items {
                        tr {
                            td { (time(&v.time)) }
                            td {
                                a href=(format!("/post/{}/{}?{qs}", t.key(), handle(s, r))) { (v.title) }
                                @if v.attention { span.flag { "Observera" } }
                            }
                            td { (giver_name(&web, r)) }
                        }
                    }
                }
            }
        }
        (sources_line(&web, &answer))
    };
    patient_page_with(&web, s, ctx, StatusCode::OK, t.name(), body)
}

/// `GET /post/{key}/{handle}?p=…`: one record (read again through the gate, so it is logged).
pub async fn record_detail(
    State(web): WebState,
    Extension(id): Extension<SessionId>,
    Path((key, h)): Path<(String, String)>,
    Query(pr): Query<PatientRef>,
    Query(filter): Query<Filter>,
) -> Response {
    let Some(t) = InformationType::from_key(&key) else {
        return not_found(State(web.clone()), Extension(id)).await;
    };
    let w = match working(&web, &id, &pr.p).await {
        Ok(w) => w,
        Err((s, e)) => return e.page(&web, &s),
    };
    // Only the record asked for is delivered (and logged).
    let handle_key = w.s.handle_key;
    let wanted = h.clone();
    let only = Delivery::only(move |r: &Record| handle_with(&handle_key, r) == wanted);
    let answer = match read_type(&web, &w.actor, &w.ctx.patient, t, &filter, only).await {
        Ok(a) => a,
        Err(f) => return f.page(&web, &w, t),
    };
    let (s, ctx) = (&w.s, &w.ctx);
    let Some(record) = answer.records.iter().find(|r| handle(s, r) == h) else {
        return patient_page_with(
            &web,
            s,
            ctx,
            StatusCode::NOT_FOUND,
            t.name(),
            html! {
                (notice("info", "Posten finns inte längre eller ligger utanför vald period."))
                p { a href=(format!("/typ/{}?{}", t.key(), query(ctx, &filter))) { "Tillbaka till " (t.name().to_lowercase()) } }
            },
        );
    };
    let v = record.view();
    let m = record.meta();
    let body = html! {
        p { a href=(format!("/typ/{}?{}", t.key(), query(ctx, &filter))) { "Tillbaka till " (t.name().to_lowercase()) } }
        h2 { (v.title) @if v.attention { span.flag { "Observera" } } }
        dl.fields {
            dt { "Tid" } dd { (time(&v.time)) }
            @for (label, value) in &v.fields {
                dt { (label) } dd { (value) }
            }
            dt { "Registrerad" } dd { (time(m.registration_time)) }
            dt { "Vårdenhet" } dd { (unit_name(&web, m.care_unit.unwrap_or(""))) }
            dt { "Vårdgivare" } dd { (giver_name(&web, record)) }
        }
        @if let Some(text) = &v.text {
            h3 { "Text" }
            div.text { (pages::paragraphs(text)) }
        }
    };
    patient_page_with(&web, s, ctx, StatusCode::OK, t.name(), body)
}

// ---------------------------------------------------------------------------------------------
// blocks

pub async fn block_page(
    State(web): WebState,
    Extension(id): Extension<SessionId>,
    Query(pr): Query<PatientRef>,
) -> Response {
    let w = match working(&web, &id, &pr.p).await {
        Ok(w) => w,
        Err((s, e)) => return e.page(&web, &s),
    };
    let (s, ctx) = (&w.s, &w.ctx);
    let body = html! {
        p { "Patienten har spärrat information. Du ser inte vad som är spärrat eller hos vem. En spärr kan hävas tillfälligt för dig om patienten samtycker, eller vid en nödsituation när patienten inte kan tillfrågas. Hävningen gäller till och med i dag klockan 23.59 och loggas." }
        form method="post" action="/sparr" {
            (csrf(&s.csrf))
            (patient_field(ctx))
            fieldset.choices {
                legend { "Skäl" }
                label { input type="radio" name="reason" value="samtycke" checked; span { "Patienten samtycker" } }
                label { input type="radio" name="reason" value="nod"; span { "Nödsituation" } }
            }
            p { button type="submit" { "Häv spärren tillfälligt (i dag)" } }
        }
        p { a href=(overview_url(&ctx.handle)) { "Tillbaka utan att häva" } }
    };
    patient_page_with(&web, s, ctx, StatusCode::OK, "Spärrad information", body)
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    p: String,
    #[serde(default)]
    reason: String,
}

pub async fn revoke_block(
    State(web): WebState,
    Extension(id): Extension<SessionId>,
    Form(f): Form<RevokeForm>,
) -> Response {
    let w = match checked_patient_form(&web, &id, &f.csrf, &f.p).await {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let reason = if f.reason == "nod" {
        RevokeReason::Emergency
    } else {
        RevokeReason::PatientConsent
    };
    // "I dag": until the end of today, Swedish local time.
    let until = end_of_today();
    let revoked = match web
        .gate
        .revoke_blocks_temporarily(&w.actor, &w.ctx.patient, reason, &until)
        .await
    {
        Ok(n) => n,
        Err(r) => return registered::<()>(&web, &w, Err(r)),
    };
    tracing::info!(revoked, "blocks revoked temporarily");
    see_other(&overview_url(&w.ctx.handle))
}
