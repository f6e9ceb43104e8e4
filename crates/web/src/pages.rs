//! The pages, in Swedish. Plain semantic HTML: headings in order, labels on every control,
//! a skip link, visible focus; the stylesheet keeps contrast at WCAG AA.

use crate::ident;
use maud::{DOCTYPE, Markup, html};
use npo_security::Assignment;

/// What every page shows around its content.
pub struct Chrome<'a> {
    pub user: Option<&'a str>,
    pub assignment: Option<&'a Assignment>,
    pub patient: Option<&'a str>,
    pub demo: bool,
    pub csrf: &'a str,
}

pub fn layout(title: &str, c: &Chrome<'_>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="sv" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – Nationell patientöversikt" }
                link rel="stylesheet" href="/static/app.css";
                script src="/static/app.js" defer {}
            }
            body {
                a.skip href="#innehall" { "Hoppa till innehållet" }
                @if c.demo {
                    div.demo role="note" { "Demoläge: fiktiva personer och uppgifter. Inte för verklig vård." }
                }
                header.top {
                    div.brand { a href="/" { "Nationell patientöversikt" } }
                    @if let Some(u) = c.user {
                        div.who {
                            span.user { (u) }
                            @if let Some(a) = c.assignment {
                                span.assignment { (a.name) ", " (a.care_unit_name) " (" (a.care_giver_name) ")" }
                            }
                            form method="post" action="/logga-ut" {
                                (csrf(c.csrf))
                                button.link type="submit" { "Logga ut" }
                            }
                        }
                    }
                }
                @if let Some(p) = c.patient {
                    nav.patient aria-label="Vald patient" {
                        span { "Patient: " strong data-testid="patient" { (ident::display(p)) } }
                        a href="/patient" { "Byt patient" }
                    }
                }
                main id="innehall" tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

pub fn csrf(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// A notice box; `kind` is `info`, `warning` or `error`.
pub fn notice(kind: &str, text: &str) -> Markup {
    let role = if kind == "error" { "alert" } else { "status" };
    html! { div class=(format!("notice {kind}")) role=(role) { p { (text) } } }
}

/// `YYYYMMDD[hhmmss]` → `YYYY-MM-DD[ hh:mm]`.
pub fn time(t: &str) -> String {
    npo_riv::common::display_time(t)
}

/// Text with its line breaks kept.
pub fn paragraphs(text: &str) -> Markup {
    html! {
        @for p in text.split("\n\n").filter(|p| !p.trim().is_empty()) {
            p {
                @for (i, line) in p.lines().enumerate() {
                    @if i > 0 { br; }
                    (line)
                }
            }
        }
    }
}

pub const CSS: &str = include_str!("../static/app.css");
pub const JS: &str = include_str!("../static/app.js");
