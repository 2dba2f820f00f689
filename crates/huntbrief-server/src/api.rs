//! The JSON API: listing with filters and pagination, one briefing as JSON, Markdown or
//! STIX, indicator, technique and actor look-ups, health, and the OpenAPI description
//! (`assets/openapi.json`).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Duration, NaiveDate, Utc};
use huntbrief_core::names::EntryKind;
use huntbrief_core::{Fidelity, Kind, Severity};
use huntbrief_render::export::{Exported, stix};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::catalog::{Entry, Filter, ioc_key};
use crate::html::attack_url;

pub const OPENAPI: &str = include_str!("../assets/openapi.json");
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 500;
/// Paging further than this is refused (400) rather than computed with.
pub const MAX_OFFSET: usize = 10_000_000;
/// `days` of the technique counts: 0 (today) up to a century.
const MAX_DAYS: i64 = 36_500;

type Shared = State<Arc<AppState>>;

/// Routes that need no credentials.
pub fn open_routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/health", get(health))
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/openapi.json", get(openapi))
        .route("/api/briefings", get(list))
        .route("/api/briefings/{id}", get(one))
        .route("/api/iocs", get(iocs))
        .route("/api/techniques", get(techniques))
        .route("/api/actors", get(actors))
}

/// Listing parameters, shared with the dashboard's filter form. Empty values mean "any".
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub severity: Option<String>,
    pub kind: Option<String>,
    pub source: Option<String>,
    pub technique: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub q: Option<String>,
    pub offset: Option<usize>,
    pub limit: Option<usize>,
}

impl ListQuery {
    /// The filter, or a message saying which parameter is wrong.
    pub fn filter(&self) -> Result<Filter, String> {
        if self.offset.is_some_and(|o| o > MAX_OFFSET) {
            return Err(format!("offset must be at most {MAX_OFFSET}"));
        }
        let date = |v: &Option<String>, name: &str| {
            given(v)
                .map(|s| {
                    NaiveDate::parse_from_str(s, "%Y-%m-%d")
                        .map_err(|_| format!("{name} must be a date like 2026-11-28"))
                })
                .transpose()
        };
        Ok(Filter {
            severity: given(&self.severity)
                .map(|s| {
                    Severity::parse(s).ok_or("severity must be CRIT, HIGH, MED or LOW".to_owned())
                })
                .transpose()?,
            kind: given(&self.kind)
                .map(|k| Kind::parse(k).ok_or(format!("unknown kind {k:?}")))
                .transpose()?,
            source: given(&self.source).map(str::to_owned),
            technique: given(&self.technique).map(str::to_uppercase),
            since: date(&self.since, "since")?,
            until: date(&self.until, "until")?,
            text: given(&self.q).map(str::to_owned),
        })
    }

    pub fn page(&self) -> (usize, usize) {
        (
            self.offset.unwrap_or(0),
            self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT),
        )
    }
}

/// A parameter's value, unless empty.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn bad_request(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({ "error": message.into() })),
    )
        .into_response()
}

async fn health(State(state): Shared) -> Response {
    let n = state.snapshot().catalog.len();
    axum::Json(json!({ "status": "ok", "briefings": n })).into_response()
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// The listing form of a briefing: enough for a table row.
pub fn summary(e: &Entry) -> Value {
    let b = &e.briefing;
    json!({
        "id": b.id,
        "title": b.title,
        "url": b.url,
        "severity": b.severity.as_str(),
        "kind": b.kind.as_str(),
        "sources": b.sources,
        "published": b.published,
        "date": e.date,
        "first_seen": e.first_seen,
        "changed_at": e.changed_at,
        "counts": {
            "iocs": b.high_fidelity_iocs().count(),
            "techniques": b.techniques.len(),
            "hunts": b.hunts.len(),
        },
    })
}

async fn list(State(state): Shared, Query(q): Query<ListQuery>) -> Response {
    let filter = match q.filter() {
        Ok(f) => f,
        Err(e) => return bad_request(e),
    };
    let (offset, limit) = q.page();
    let snapshot = state.snapshot();
    let catalog = &snapshot.catalog;
    let selected = catalog.select(&filter);
    let items: Vec<Value> = selected
        .iter()
        .skip(offset)
        .take(limit)
        .map(|&i| summary(&catalog.entries()[i]))
        .collect();
    let next = (offset + limit < selected.len()).then_some(offset + limit);
    axum::Json(json!({
        "total": selected.len(),
        "offset": offset,
        "limit": limit,
        "next_offset": next,
        "items": items,
    }))
    .into_response()
}

#[derive(Debug, Deserialize)]
struct OneQuery {
    format: Option<String>,
}

async fn one(State(state): Shared, Path(id): Path<String>, Query(q): Query<OneQuery>) -> Response {
    let snapshot = state.snapshot();
    let Some(e) = snapshot.catalog.get(&id) else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({ "error": format!("no briefing {id:?}") })),
        )
            .into_response();
    };
    match q.format.as_deref().unwrap_or("json") {
        "json" => (
            [(header::CONTENT_TYPE, "application/json")],
            huntbrief_render::json::render(&e.briefing),
        )
            .into_response(),
        "md" => (
            [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
            huntbrief_render::markdown::render(&e.briefing),
        )
            .into_response(),
        "stix" => {
            let item = Exported {
                briefing: &e.briefing,
                first_seen: e.first_seen,
                changed_at: e.changed_at,
            };
            (
                [(header::CONTENT_TYPE, "application/stix+json;version=2.1")],
                stix::briefing_bundle(&item),
            )
                .into_response()
        }
        other => bad_request(format!("format must be json, md or stix, not {other:?}")),
    }
}

#[derive(Debug, Deserialize)]
struct IocQuery {
    value: Option<String>,
}

/// Every briefing naming an indicator, with how each names it.
pub fn ioc_matches(state: &AppState, value: &str) -> Value {
    let snapshot = state.snapshot();
    let catalog = &snapshot.catalog;
    let key = ioc_key(value);
    let matches: Vec<Value> = catalog
        .with_ioc(value)
        .iter()
        .map(|&i| {
            let e = &catalog.entries()[i];
            let found: Vec<Value> = e
                .briefing
                .iocs
                .iter()
                .filter(|x| ioc_key(&x.value) == key)
                .map(|x| {
                    json!({
                        "type": x.kind.key(),
                        "value": x.value,
                        "fidelity": if x.fidelity == Fidelity::High { "high" } else { "low" },
                        "evidence": x.evidence,
                    })
                })
                .collect();
            let mut s = summary(e);
            s["indicators"] = Value::Array(found);
            s
        })
        .collect();
    json!({ "value": value, "briefings": matches })
}

async fn iocs(State(state): Shared, Query(q): Query<IocQuery>) -> Response {
    match q.value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => axum::Json(ioc_matches(&state, v)).into_response(),
        None => bad_request("give the indicator as ?value="),
    }
}

#[derive(Debug, Deserialize)]
struct TechniqueQuery {
    days: Option<i64>,
}

/// Techniques of the last `days` days (all when absent), most frequent first.
pub fn technique_counts(state: &AppState, days: Option<i64>) -> Value {
    let snapshot = state.snapshot();
    let catalog = &snapshot.catalog;
    let since = days.map(|d| (Utc::now() - Duration::days(d.clamp(0, MAX_DAYS))).date_naive());
    let rows: Vec<Value> = catalog
        .techniques(since)
        .into_iter()
        .map(|t| {
            let ids: Vec<&str> = t
                .briefings
                .iter()
                .map(|&i| catalog.entries()[i].briefing.id.as_str())
                .collect();
            json!({
                "id": t.id,
                "name": t.name,
                "tactics": t.tactics,
                "count": ids.len(),
                "briefings": ids,
            })
        })
        .collect();
    json!({ "since": since, "techniques": rows })
}

async fn techniques(State(state): Shared, Query(q): Query<TechniqueQuery>) -> Response {
    if q.days.is_some_and(|d| !(0..=MAX_DAYS).contains(&d)) {
        return bad_request(format!("days must be between 0 and {MAX_DAYS}"));
    }
    axum::Json(technique_counts(&state, q.days)).into_response()
}

#[derive(Debug, Deserialize)]
struct ActorQuery {
    kind: Option<String>,
}

/// Actors, malware and tools the briefings name (of one kind when given), most often
/// attributed or used first.
pub fn actor_counts(state: &AppState, kind: Option<EntryKind>) -> Value {
    let snapshot = state.snapshot();
    let catalog = &snapshot.catalog;
    let rows: Vec<Value> = catalog
        .entities()
        .iter()
        .filter(|c| kind.is_none_or(|k| c.kind == k))
        .map(|c| {
            let ids: Vec<&str> = c
                .briefings()
                .into_iter()
                .map(|i| catalog.entries()[i].briefing.id.as_str())
                .collect();
            json!({
                "key": c.key,
                "kind": c.kind.as_str(),
                "name": c.name,
                "attack_id": c.attack_id,
                "attack_url": c.attack_id.as_deref().and_then(attack_url),
                "aliases": c.aliases,
                "count": ids.len(),
                "attributed_or_used": c.named.len(),
                "mentioned_only": c.mentioned.len(),
                "last_seen": catalog.entries()[c.newest()].date,
                "briefings": ids,
            })
        })
        .collect();
    json!({ "actors": rows })
}

async fn actors(State(state): Shared, Query(q): Query<ActorQuery>) -> Response {
    match given(&q.kind) {
        None => axum::Json(actor_counts(&state, None)).into_response(),
        Some(k) => match EntryKind::parse(&k.to_ascii_lowercase()) {
            Some(kind) => axum::Json(actor_counts(&state, Some(kind))).into_response(),
            None => bad_request("kind must be actor, malware or tool"),
        },
    }
}
