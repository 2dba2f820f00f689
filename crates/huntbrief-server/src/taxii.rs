//! A read-only TAXII 2.1 server: discovery, one API root, and collections of the STIX
//! objects of the briefings (all of them, and from a minimum severity up), with
//! `added_after`, `match[id|type|version|spec_version]`, `limit` and `next` paging, the
//! manifest, and single objects. The objects are those of the STIX export, so what a
//! TIP pulls here is what `huntbrief export --format stix` writes.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use huntbrief_core::Severity;
use huntbrief_render::export::ids::uuid5;
use huntbrief_render::export::{Exported, stix};
use serde_json::{Value, json};

use crate::AppState;
use crate::catalog::Catalog;

pub const MEDIA_TYPE: &str = "application/taxii+json;version=2.1";
const STIX_MEDIA_TYPE: &str = "application/stix+json;version=2.1";
const API_ROOT: &str = "api1";
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

/// One STIX object as a collection serves it.
#[derive(Debug)]
struct Object {
    id: String,
    kind: String,
    version: String,
    date_added: DateTime<Utc>,
    json: Value,
}

/// A collection: the objects of the briefings at or above a severity.
#[derive(Debug)]
struct Collection {
    id: String,
    title: String,
    description: String,
    /// Indexes into `Collections::objects`, by date added then id.
    members: Vec<usize>,
}

/// Every collection, built with the catalogue.
#[derive(Debug, Default)]
pub struct Collections {
    objects: Vec<Object>,
    collections: Vec<Collection>,
}

impl Collections {
    pub fn new(catalog: &Catalog) -> Self {
        // Each object once, added when its briefing first carried it (briefings oldest
        // first), at the version of the newest briefing that carries it.
        let mut objects: Vec<Object> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut floor_of: Vec<Severity> = Vec::new();
        for e in catalog.entries().iter().rev() {
            let item = Exported {
                briefing: &e.briefing,
                first_seen: e.first_seen,
                changed_at: e.changed_at,
            };
            for obj in stix::objects(&item) {
                let Some(id) = obj["id"].as_str().map(str::to_owned) else {
                    continue;
                };
                let version = obj["modified"]
                    .as_str()
                    .or(obj["created"].as_str())
                    .map(str::to_owned)
                    // An object without timestamps is versioned by when it was added.
                    .unwrap_or_else(|| e.changed_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
                match index.get(&id) {
                    Some(&i) => {
                        // Most serious briefing decides which collections show it.
                        floor_of[i] = floor_of[i].min(e.briefing.severity);
                        if version > objects[i].version {
                            objects[i].version = version;
                            objects[i].json = obj;
                        }
                    }
                    None => {
                        index.insert(id.clone(), objects.len());
                        floor_of.push(e.briefing.severity);
                        objects.push(Object {
                            id,
                            kind: obj["type"].as_str().unwrap_or("").to_owned(),
                            version,
                            date_added: e.changed_at,
                            json: obj,
                        });
                    }
                }
            }
        }
        let mut order: Vec<usize> = (0..objects.len()).collect();
        order.sort_by(|&a, &b| {
            (objects[a].date_added, &objects[a].id).cmp(&(objects[b].date_added, &objects[b].id))
        });
        let collections = [
            ("all", Severity::Low, "Every briefing"),
            (
                "medium",
                Severity::Med,
                "Briefings of severity MED or higher",
            ),
            ("high", Severity::High, "Briefings of severity HIGH or CRIT"),
            ("critical", Severity::Crit, "Briefings of severity CRIT"),
        ]
        .into_iter()
        .map(|(name, floor, title)| Collection {
            id: uuid5(&format!("taxii:collection:{name}")).to_string(),
            title: format!("huntbrief: {title}"),
            description: format!(
                "STIX 2.1 objects of huntbrief briefings ({}); read-only.",
                title.to_lowercase()
            ),
            members: order
                .iter()
                .copied()
                .filter(|&i| floor_of[i].at_least(floor))
                .collect(),
        })
        .collect();
        Self {
            objects,
            collections,
        }
    }

    /// The collections' ids, widest first.
    pub fn collection_ids(&self) -> Vec<String> {
        self.collections.iter().map(|c| c.id.clone()).collect()
    }

    fn get(&self, id: &str) -> Option<&Collection> {
        self.collections.iter().find(|c| c.id == id)
    }
}

pub fn routes() -> Router<Arc<AppState>> {
    let root = format!("/taxii2/{API_ROOT}");
    Router::new()
        .route("/taxii2/", get(discovery))
        .route(&format!("{root}/"), get(api_root))
        .route(&format!("{root}/collections/"), get(collections))
        .route(
            &format!("{root}/collections/{{collection}}/"),
            get(collection),
        )
        .route(
            &format!("{root}/collections/{{collection}}/objects/"),
            get(objects),
        )
        .route(
            &format!("{root}/collections/{{collection}}/objects/{{object}}/"),
            get(object),
        )
        .route(
            &format!("{root}/collections/{{collection}}/objects/{{object}}/versions/"),
            get(versions),
        )
        .route(
            &format!("{root}/collections/{{collection}}/manifest/"),
            get(manifest),
        )
}

/// A TAXII error message with its status.
pub fn error(status: StatusCode, title: &str) -> Response {
    taxii_json(
        status,
        json!({ "title": title, "http_status": status.as_u16().to_string() }),
    )
}

fn taxii_json(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, MEDIA_TYPE)],
        serde_json::to_vec(&body).unwrap_or_default(),
    )
        .into_response()
}

async fn discovery() -> Response {
    taxii_json(
        StatusCode::OK,
        json!({
            "title": "huntbrief TAXII 2.1",
            "description": "Indicators, ATT&CK techniques, vulnerabilities and hunts from huntbrief briefings.",
            "default": format!("/taxii2/{API_ROOT}/"),
            "api_roots": [format!("/taxii2/{API_ROOT}/")],
        }),
    )
}

async fn api_root() -> Response {
    taxii_json(
        StatusCode::OK,
        json!({
            "title": "huntbrief briefings",
            "versions": [MEDIA_TYPE],
            "max_content_length": 10_485_760,
        }),
    )
}

fn collection_json(c: &Collection) -> Value {
    json!({
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "can_read": true,
        "can_write": false,
        "media_types": [STIX_MEDIA_TYPE],
    })
}

async fn collections(State(state): State<Arc<AppState>>) -> Response {
    let snapshot = state.snapshot();
    let list: Vec<Value> = snapshot
        .taxii
        .collections
        .iter()
        .map(collection_json)
        .collect();
    taxii_json(StatusCode::OK, json!({ "collections": list }))
}

async fn collection(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    match state.snapshot().taxii.get(&id) {
        Some(c) => taxii_json(StatusCode::OK, collection_json(c)),
        None => error(StatusCode::NOT_FOUND, "no such collection"),
    }
}

/// The filters and page of an objects or manifest request.
struct Selection {
    added_after: Option<DateTime<Utc>>,
    ids: Option<Vec<String>>,
    types: Option<Vec<String>>,
    versions: Option<Vec<String>>,
    spec_versions: Option<Vec<String>>,
    limit: usize,
    offset: usize,
}

impl Selection {
    fn parse(q: &HashMap<String, String>) -> Result<Self, String> {
        let list = |key: &str| {
            q.get(key).map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_owned())
                    .collect::<Vec<_>>()
            })
        };
        let added_after = q
            .get("added_after")
            .map(|s| {
                DateTime::parse_from_rfc3339(s)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| format!("added_after {s:?} is not an RFC 3339 timestamp"))
            })
            .transpose()?;
        let limit = q
            .get("limit")
            .map(|s| {
                s.parse::<usize>()
                    .map_err(|_| format!("limit {s:?} is not a number"))
            })
            .transpose()?
            .unwrap_or(DEFAULT_LIMIT)
            .clamp(1, MAX_LIMIT);
        let offset = q
            .get("next")
            .map(|s| {
                s.parse::<usize>()
                    .ok()
                    .filter(|&n| n <= crate::api::MAX_OFFSET)
                    .ok_or_else(|| format!("next {s:?} is not ours"))
            })
            .transpose()?
            .unwrap_or(0);
        Ok(Self {
            added_after,
            ids: list("match[id]"),
            types: list("match[type]"),
            versions: list("match[version]"),
            spec_versions: list("match[spec_version]"),
            limit,
            offset,
        })
    }

    fn keeps(&self, o: &Object) -> bool {
        let within = |list: &Option<Vec<String>>, value: &str| {
            list.as_ref().is_none_or(|l| l.iter().any(|x| x == value))
        };
        let version_ok = self.versions.as_ref().is_none_or(|l| {
            l.iter()
                .any(|v| v == "all" || v == "last" || v == "first" || *v == o.version)
        });
        self.added_after.is_none_or(|t| o.date_added > t)
            && within(&self.ids, &o.id)
            && within(&self.types, &o.kind)
            && within(&self.spec_versions, "2.1")
            && version_ok
    }
}

/// The page of a collection's objects that a request selects, and whether more follow.
fn page<'a>(
    taxii: &'a Collections,
    c: &Collection,
    s: &Selection,
) -> (Vec<&'a Object>, Option<usize>) {
    let all: Vec<&Object> = c
        .members
        .iter()
        .map(|&i| &taxii.objects[i])
        .filter(|o| s.keeps(o))
        .collect();
    let end = (s.offset + s.limit).min(all.len());
    let next = (end < all.len()).then_some(end);
    let page = all
        .get(s.offset..end)
        .map(<[_]>::to_vec)
        .unwrap_or_default();
    (page, next)
}

/// The envelope or manifest response with its date-added headers.
fn paged(body: Value, page: &[&Object]) -> Response {
    let mut r = taxii_json(StatusCode::OK, body);
    let stamp = |t: DateTime<Utc>| {
        HeaderValue::from_str(&t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()).ok()
    };
    if let (Some(first), Some(last)) = (page.first(), page.last()) {
        if let Some(v) = stamp(first.date_added) {
            r.headers_mut().insert("X-TAXII-Date-Added-First", v);
        }
        if let Some(v) = stamp(last.date_added) {
            r.headers_mut().insert("X-TAXII-Date-Added-Last", v);
        }
    }
    r
}

fn envelope(page: &[&Object], next: Option<usize>) -> Value {
    let mut body = json!({
        "more": next.is_some(),
        "objects": page.iter().map(|o| o.json.clone()).collect::<Vec<_>>(),
    });
    if let Some(n) = next {
        body["next"] = Value::String(n.to_string());
    }
    body
}

/// Looks up the collection and parses the request's selection, then lets `respond`
/// answer; a missing collection is 404 and a bad parameter 400.
fn answer(
    state: &AppState,
    id: &str,
    q: &HashMap<String, String>,
    respond: impl FnOnce(&Collections, &Collection, &Selection) -> Response,
) -> Response {
    let snapshot = state.snapshot();
    let Some(c) = snapshot.taxii.get(id) else {
        return error(StatusCode::NOT_FOUND, "no such collection");
    };
    match Selection::parse(q) {
        Ok(s) => respond(&snapshot.taxii, c, &s),
        Err(e) => error(StatusCode::BAD_REQUEST, &e),
    }
}

async fn objects(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    answer(&state, &id, &q, |taxii, c, s| {
        let (page, next) = page(taxii, c, s);
        paged(envelope(&page, next), &page)
    })
}

async fn object(
    State(state): State<Arc<AppState>>,
    Path((id, object)): Path<(String, String)>,
    Query(mut q): Query<HashMap<String, String>>,
) -> Response {
    q.insert("match[id]".into(), object);
    answer(&state, &id, &q, |taxii, c, s| {
        let (page, next) = page(taxii, c, s);
        if page.is_empty() && s.offset == 0 {
            return error(StatusCode::NOT_FOUND, "no such object in this collection");
        }
        paged(envelope(&page, next), &page)
    })
}

async fn versions(
    State(state): State<Arc<AppState>>,
    Path((id, object)): Path<(String, String)>,
) -> Response {
    let snapshot = state.snapshot();
    let Some(c) = snapshot.taxii.get(&id) else {
        return error(StatusCode::NOT_FOUND, "no such collection");
    };
    let found: Vec<&Object> = c
        .members
        .iter()
        .map(|&i| &snapshot.taxii.objects[i])
        .filter(|o| o.id == object)
        .collect();
    if found.is_empty() {
        return error(StatusCode::NOT_FOUND, "no such object in this collection");
    }
    let body = json!({
        "more": false,
        "versions": found.iter().map(|o| o.version.clone()).collect::<Vec<_>>(),
    });
    paged(body, &found)
}

async fn manifest(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    answer(&state, &id, &q, manifest_page)
}

fn manifest_page(taxii: &Collections, c: &Collection, s: &Selection) -> Response {
    let (page, next) = page(taxii, c, s);
    let records: Vec<Value> = page
        .iter()
        .map(|o| {
            json!({
                "id": o.id,
                "date_added": o.date_added.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                "version": o.version,
                "media_type": STIX_MEDIA_TYPE,
            })
        })
        .collect();
    let mut body = json!({ "more": next.is_some(), "objects": records });
    if let Some(n) = next {
        body["next"] = Value::String(n.to_string());
    }
    paged(body, &page)
}
