//! The dashboard's actor pages: every threat actor, malware family and tool the briefings
//! name (`/actors`), one of them with the briefings that name it and the sentence that
//! shows it (`/actors/{key}`), and the links from a briefing page to them. Names,
//! aliases and evidence come from articles, so they reach the page only through
//! [`html::text`](crate::html::text).

use std::fmt::Write;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use huntbrief_core::Briefing;
use huntbrief_core::names::EntryKind;

use crate::AppState;
use crate::catalog::{Catalog, EntityCount, entity_key};
use crate::dashboard::{badge, page};
use crate::html::{attack_url, query_value, text};

type Shared = State<Arc<AppState>>;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/actors", get(list))
        .route("/actors/{key}", get(one))
}

/// Section heading and element id per kind.
fn heading(kind: EntryKind) -> (&'static str, &'static str) {
    match kind {
        EntryKind::Actor => ("Threat actors", "actors"),
        EntryKind::Malware => ("Malware", "malware"),
        EntryKind::Tool => ("Tools", "tools"),
    }
}

/// The path of an entity's page.
pub fn href(key: &str) -> String {
    format!("/actors/{}", query_value(key))
}

/// The ATT&CK ID as a link to its ATT&CK page (as text when it is not a G/S ID).
fn attack_link(id: Option<&str>) -> String {
    match id {
        Some(id) => match attack_url(id) {
            Some(url) => format!(
                "<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
                text(&url),
                text(id)
            ),
            None => text(id),
        },
        None => String::new(),
    }
}

async fn list(State(state): Shared) -> Response {
    let snapshot = state.snapshot();
    let catalog = &snapshot.catalog;
    let mut body = format!(
        "<h1>Actors, malware and tools</h1><p id=\"count\">{} named in the briefings; \
         most often attributed or used first.</p>",
        catalog.entities().len()
    );
    for kind in EntryKind::ALL {
        let (title, id) = heading(kind);
        let _ = write!(
            body,
            "<section id=\"{id}\"><h2>{}</h2><table><thead><tr><th>Name</th><th>ATT&amp;CK</th>\
             <th title=\"briefings that attribute the activity to it or say it was used\">Briefings</th>\
             <th title=\"briefings that only mention it\">Mentioned</th><th>Last seen</th></tr></thead><tbody>",
            text(title)
        );
        for c in catalog.entities().iter().filter(|c| c.kind == kind) {
            row(&mut body, catalog, c);
        }
        body.push_str("</tbody></table></section>");
    }
    page("Actors", "/actors", &body).into_response()
}

fn row(body: &mut String, catalog: &Catalog, c: &EntityCount) {
    let _ = write!(
        body,
        "<tr class=\"entity\"><td><a href=\"{}\">{}</a></td><td>{}</td><td class=\"n\">{}</td>\
         <td class=\"n\">{}</td><td>{}</td></tr>",
        href(&c.key),
        text(&c.name),
        attack_link(c.attack_id.as_deref()),
        c.named.len(),
        c.mentioned.len(),
        catalog.entries()[c.newest()].date
    );
}

async fn one(State(state): Shared, Path(key): Path<String>) -> Response {
    let snapshot = state.snapshot();
    let catalog = &snapshot.catalog;
    let Some(c) = catalog.entity(&key) else {
        let body = format!(
            "<h1>Not found</h1><p>No actor, malware or tool {}.</p>",
            text(&key)
        );
        return (StatusCode::NOT_FOUND, page("Not found", "/actors", &body)).into_response();
    };
    let mut body = format!(
        "<h1 id=\"title\">{}</h1><p class=\"meta\">{}",
        text(&c.name),
        text(c.kind.as_str())
    );
    if c.attack_id.is_some() {
        let _ = write!(
            body,
            " · ATT&amp;CK {}",
            attack_link(c.attack_id.as_deref())
        );
    }
    let _ = write!(
        body,
        " · {} briefing(s) attribute or use it, {} only mention it</p>",
        c.named.len(),
        c.mentioned.len()
    );
    if !c.aliases.is_empty() {
        let aliases: Vec<String> = c.aliases.iter().map(|a| text(a)).collect();
        let _ = write!(
            body,
            "<p id=\"aliases\">Also known as: {}</p>",
            aliases.join(", ")
        );
    }
    body.push_str(
        "<table id=\"entity-briefings\"><thead><tr><th>Date</th><th>Severity</th><th>Briefing</th>\
         <th>Role</th><th>Evidence</th></tr></thead><tbody>",
    );
    for i in c.briefings() {
        let e = &catalog.entries()[i];
        let b = &e.briefing;
        for kind in EntryKind::ALL {
            for x in b.names(kind).iter().filter(|x| entity_key(x) == c.key) {
                let _ = write!(
                    body,
                    "<tr class=\"role-{role}\"><td>{}</td><td>{}</td><td><a href=\"/briefings/{}\">{}</a></td>\
                     <td>{role}</td><td>{}</td></tr>",
                    e.date,
                    badge(b.severity.as_str()),
                    query_value(&b.id),
                    text(&b.title),
                    text(&x.evidence),
                    role = x.role.as_str(),
                );
            }
        }
    }
    body.push_str("</tbody></table>");
    page(&c.name, "/actors", &body).into_response()
}

/// The briefing page's line linking each actor, malware family and tool it names to its
/// page; empty when it names none.
pub fn named_line(b: &Briefing) -> String {
    let mut parts = Vec::new();
    for kind in EntryKind::ALL {
        let links: Vec<String> = b
            .names(kind)
            .iter()
            .filter(|x| !entity_key(x).is_empty())
            .map(|x| {
                format!(
                    "<a href=\"{}\">{}</a> ({})",
                    href(&entity_key(x)),
                    text(&x.name),
                    x.role.as_str()
                )
            })
            .collect();
        if !links.is_empty() {
            parts.push(format!("{}: {}", text(heading(kind).0), links.join(", ")));
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("<p id=\"named\" class=\"meta\">{}</p>", parts.join(" · "))
    }
}
