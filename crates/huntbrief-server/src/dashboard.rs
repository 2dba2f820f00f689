//! The dashboard: server-rendered pages that work offline and without script (the one
//! script, `assets/app.js`, only adds copy buttons). Briefing list with filters and search,
//! a briefing page, the ATT&CK heat map, indicator search and the use-case catalogue
//! (the actor pages are in [`crate::actors`]).
//! Article text reaches the page only through [`html::text`] or the Markdown renderer
//! below, which turns raw HTML into text and keeps only http(s) links.

use std::fmt::Write;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use huntbrief_core::Kind;
use huntbrief_core::attack::table::{ATTRIBUTION, DEFAULT_TACTICS};
use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};
use serde::Deserialize;

use crate::AppState;
use crate::api::ListQuery;
use crate::catalog::{Entry, ioc_key};
use crate::html::{is_web, query_value, text};

const CSS: &str = include_str!("../assets/app.css");
const JS: &str = include_str!("../assets/app.js");
const SEVERITIES: [&str; 4] = ["CRIT", "HIGH", "MED", "LOW"];

type Shared = State<Arc<AppState>>;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(list))
        .route("/briefings/{id}", get(briefing))
        .route("/techniques", get(techniques))
        .route("/iocs", get(iocs))
        .route("/use-cases", get(use_cases))
        .merge(crate::actors::routes())
}

/// Stylesheet and script: no data in them, so no credentials needed.
pub fn static_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/static/app.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS) }),
        )
        .route(
            "/static/app.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    JS,
                )
            }),
        )
}

/// The page frame around `body`.
pub(crate) fn page(title: &str, active: &str, body: &str) -> Html<String> {
    let mut nav = String::new();
    for (href, label) in [
        ("/", "Briefings"),
        ("/techniques", "ATT&CK"),
        ("/iocs", "Indicators"),
        ("/actors", "Actors"),
        ("/use-cases", "Use cases"),
    ] {
        let class = if href == active {
            " class=\"active\""
        } else {
            ""
        };
        let _ = write!(nav, "<a href=\"{href}\"{class}>{}</a>", text(label));
    }
    Html(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · huntbrief</title><link rel=\"stylesheet\" href=\"/static/app.css\">\
         <script src=\"/static/app.js\" defer></script></head>\
         <body><header><a class=\"brand\" href=\"/\">huntbrief</a><nav>{nav}</nav></header>\
         <main>{body}</main><footer><a href=\"/api/openapi.json\">API</a> · \
         <a href=\"/taxii2/\">TAXII 2.1</a> · <span class=\"attribution\">ATT&amp;CK®: {}</span></footer>\
         </body></html>\n",
        text(title),
        text(ATTRIBUTION)
    ))
}

pub(crate) fn badge(severity: &str) -> String {
    format!(
        "<span class=\"sev sev-{}\">{}</span>",
        severity.to_ascii_lowercase(),
        text(severity)
    )
}

fn options(name: &str, current: Option<&str>, values: &[&str], any: &str) -> String {
    let mut s = format!(
        "<select name=\"{name}\"><option value=\"\">{}</option>",
        text(any)
    );
    for v in values {
        let selected = if current.is_some_and(|c| c.eq_ignore_ascii_case(v)) {
            " selected"
        } else {
            ""
        };
        let _ = write!(s, "<option value=\"{0}\"{selected}>{0}</option>", text(v));
    }
    s.push_str("</select>");
    s
}

fn value(v: &Option<String>) -> String {
    text(v.as_deref().unwrap_or(""))
}

async fn list(State(state): Shared, Query(q): Query<ListQuery>) -> Response {
    let snapshot = state.snapshot();
    let catalog = &snapshot.catalog;
    let mut body = String::from("<h1>Briefings</h1>");
    let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
    let sources = catalog.sources();
    let _ = write!(
        body,
        "<form id=\"filters\" method=\"get\" action=\"/\">\
         <label>Severity {}</label><label>Kind {}</label><label>Source {}</label>\
         <label>Technique <input name=\"technique\" value=\"{}\" placeholder=\"T1059\" size=\"10\"></label>\
         <label>From <input type=\"date\" name=\"since\" value=\"{}\"></label>\
         <label>To <input type=\"date\" name=\"until\" value=\"{}\"></label>\
         <label>Search <input type=\"search\" name=\"q\" value=\"{}\" placeholder=\"words, IOC, T-id\"></label>\
         <button type=\"submit\">Filter</button> <a href=\"/\">Reset</a></form>",
        options(
            "severity",
            q.severity.as_deref(),
            &SEVERITIES,
            "any (or more serious)"
        ),
        options("kind", q.kind.as_deref(), &kinds, "any"),
        options("source", q.source.as_deref(), &sources, "any"),
        value(&q.technique),
        value(&q.since),
        value(&q.until),
        value(&q.q),
    );
    let filter = match q.filter() {
        Ok(f) => f,
        Err(e) => {
            let _ = write!(body, "<p class=\"error\">{}</p>", text(&e));
            return (StatusCode::BAD_REQUEST, page("Briefings", "/", &body)).into_response();
        }
    };
    let selected = catalog.select(&filter);
    let (offset, limit) = q.page();
    let _ = write!(
        body,
        "<p id=\"count\">{} briefing(s)</p><table id=\"briefings\"><thead><tr>\
         <th>Date</th><th>Severity</th><th>Kind</th><th>Title</th><th>Source</th>\
         <th title=\"high-fidelity indicators\">IOCs</th><th>Techniques</th><th>Hunts</th>\
         </tr></thead><tbody>",
        selected.len()
    );
    for &i in selected.iter().skip(offset).take(limit) {
        row(&mut body, &catalog.entries()[i]);
    }
    body.push_str("</tbody></table>");
    pager(&mut body, &q, offset, limit, selected.len());
    page("Briefings", "/", &body).into_response()
}

fn row(body: &mut String, e: &Entry) {
    let b = &e.briefing;
    let _ = write!(
        body,
        "<tr class=\"briefing\" data-severity=\"{sev}\"><td>{date}</td><td>{badge}</td><td>{kind}</td>\
         <td><a class=\"title\" href=\"/briefings/{id}\">{title}</a></td><td>{sources}</td>\
         <td class=\"n\">{iocs}</td><td class=\"n\">{techniques}</td><td class=\"n\">{hunts}</td></tr>",
        sev = b.severity.as_str(),
        date = e.date,
        badge = badge(b.severity.as_str()),
        kind = text(b.kind.as_str()),
        id = query_value(&b.id),
        title = text(&b.title),
        sources = text(&b.sources.join(", ")),
        iocs = b.high_fidelity_iocs().count(),
        techniques = b.techniques.len(),
        hunts = b.hunts.len(),
    );
}

/// Previous/next links that keep the filters.
fn pager(body: &mut String, q: &ListQuery, offset: usize, limit: usize, total: usize) {
    let mut params = String::new();
    for (k, v) in [
        ("severity", &q.severity),
        ("kind", &q.kind),
        ("source", &q.source),
        ("technique", &q.technique),
        ("since", &q.since),
        ("until", &q.until),
        ("q", &q.q),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            let _ = write!(params, "{k}={}&", query_value(v));
        }
    }
    body.push_str("<p class=\"pager\">");
    if offset > 0 {
        let _ = write!(
            body,
            "<a rel=\"prev\" href=\"/?{params}offset={}&amp;limit={limit}\">← newer</a> ",
            offset.saturating_sub(limit)
        );
    }
    if offset + limit < total {
        let _ = write!(
            body,
            "<a rel=\"next\" href=\"/?{params}offset={}&amp;limit={limit}\">older →</a>",
            offset + limit
        );
    }
    body.push_str("</p>");
}

async fn briefing(State(state): Shared, Path(id): Path<String>) -> Response {
    let snapshot = state.snapshot();
    let Some(e) = snapshot.catalog.get(&id) else {
        let body = format!("<h1>Not found</h1><p>No briefing {}.</p>", text(&id));
        return (StatusCode::NOT_FOUND, page("Not found", "/", &body)).into_response();
    };
    let b = &e.briefing;
    let mut body = format!(
        "<h1 id=\"title\">{}</h1><p class=\"meta\">{} {} · {} · {}",
        text(&b.title),
        badge(b.severity.as_str()),
        text(b.kind.as_str()),
        text(&b.sources.join(", ")),
        e.date
    );
    if let Some(url) = b.url.as_deref().filter(|u| is_web(u)) {
        let _ = write!(
            body,
            " · <a href=\"{}\" rel=\"noopener noreferrer\">article</a>",
            text(url)
        );
    }
    let id = query_value(&b.id);
    let _ = write!(
        body,
        " · <a href=\"/api/briefings/{id}\">JSON</a> · <a href=\"/api/briefings/{id}?format=md\">Markdown</a> \
         · <a href=\"/api/briefings/{id}?format=stix\">STIX</a></p>{}<article class=\"briefing\">{}</article>",
        crate::actors::named_line(b),
        markdown(&huntbrief_render::markdown::render(b))
    );
    page(&b.title, "/", &body).into_response()
}

/// The briefing's Markdown as HTML, minus its first heading (the page shows the title).
/// Raw HTML in the source becomes text; links and images survive only as http(s) links.
pub fn markdown(md: &str) -> String {
    let body = md
        .strip_prefix("# ")
        .and_then(|s| s.split_once('\n'))
        .map_or(md, |(_, rest)| rest);
    let mut depth_dropped = Vec::new();
    let events = Parser::new_ext(body, Options::ENABLE_TABLES).filter_map(|ev| match ev {
        Event::Html(h) | Event::InlineHtml(h) => Some(Event::Text(h)),
        Event::Start(Tag::Link { dest_url, .. }) if !is_web(&dest_url) => {
            depth_dropped.push(true);
            None
        }
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            depth_dropped.push(false);
            Some(Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }))
        }
        Event::End(TagEnd::Link) => {
            if depth_dropped.pop().unwrap_or(false) {
                None
            } else {
                Some(Event::End(TagEnd::Link))
            }
        }
        Event::Start(Tag::Image { dest_url, .. }) => {
            Some(Event::Text(CowStr::from(format!("[image: {dest_url}] "))))
        }
        Event::End(TagEnd::Image) => None,
        other => Some(other),
    });
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, events);
    out
}

#[derive(Debug, Deserialize)]
struct DaysQuery {
    days: Option<i64>,
}

async fn techniques(State(state): Shared, Query(q): Query<DaysQuery>) -> Response {
    let days = q.days.unwrap_or(30).clamp(1, 3650);
    let counts = crate::api::technique_counts(&state, Some(days));
    let rows = counts["techniques"].as_array().cloned().unwrap_or_default();
    let max = rows
        .iter()
        .filter_map(|r| r["count"].as_u64())
        .max()
        .unwrap_or(1)
        .max(1);
    let mut body = format!(
        "<h1>ATT&amp;CK heat map</h1><form id=\"days\" method=\"get\" action=\"/techniques\">\
         <label>Last <input type=\"number\" name=\"days\" min=\"1\" max=\"3650\" value=\"{days}\"> days</label> \
         <button type=\"submit\">Show</button></form><p id=\"count\">{} technique(s) in briefings filed since {}</p>\
         <div class=\"heatmap\">",
        rows.len(),
        counts["since"].as_str().unwrap_or("the start")
    );
    for (_, shortname, name) in DEFAULT_TACTICS {
        let cells: Vec<&serde_json::Value> = rows
            .iter()
            .filter(|r| {
                r["tactics"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|x| x.as_str() == Some(shortname)))
            })
            .collect();
        let _ = write!(
            body,
            "<section class=\"tactic\"><h2>{}</h2><ol>",
            text(name)
        );
        for r in cells {
            let count = r["count"].as_u64().unwrap_or(0);
            // Five shades, by share of the most frequent technique.
            let heat = (count * 5).div_ceil(max).clamp(1, 5);
            let id = r["id"].as_str().unwrap_or("");
            let _ = write!(
                body,
                "<li class=\"heat-{heat}\"><a href=\"/?technique={}\"><b>{}</b> {} <span class=\"n\">{count}</span></a></li>",
                query_value(id),
                text(id),
                text(r["name"].as_str().unwrap_or(""))
            );
        }
        body.push_str("</ol></section>");
    }
    body.push_str("</div>");
    page("ATT&CK heat map", "/techniques", &body).into_response()
}

#[derive(Debug, Deserialize)]
struct IocQuery {
    value: Option<String>,
}

async fn iocs(State(state): Shared, Query(q): Query<IocQuery>) -> Response {
    let wanted = q.value.as_deref().map(str::trim).unwrap_or("");
    let mut body = format!(
        "<h1>Indicator search</h1><form id=\"ioc\" method=\"get\" action=\"/iocs\">\
         <label>Value <input type=\"search\" name=\"value\" value=\"{}\" size=\"60\" \
         placeholder=\"IP, domain, URL, hash, file name (defanged is fine)\"></label> \
         <button type=\"submit\">Search</button></form>",
        text(wanted)
    );
    if !wanted.is_empty() {
        let snapshot = state.snapshot();
        let catalog = &snapshot.catalog;
        let hits = catalog.with_ioc(wanted);
        let _ = write!(
            body,
            "<p id=\"count\">{} briefing(s) name {}</p><table id=\"ioc-results\"><thead><tr>\
             <th>Date</th><th>Severity</th><th>Briefing</th><th>Type</th><th>Fidelity</th><th>Evidence</th>\
             </tr></thead><tbody>",
            hits.len(),
            text(wanted)
        );
        let key = ioc_key(wanted);
        for &i in hits {
            let e = &catalog.entries()[i];
            for x in e.briefing.iocs.iter().filter(|x| ioc_key(&x.value) == key) {
                let _ = write!(
                    body,
                    "<tr><td>{}</td><td>{}</td><td><a href=\"/briefings/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    e.date,
                    badge(e.briefing.severity.as_str()),
                    query_value(&e.briefing.id),
                    text(&e.briefing.title),
                    text(x.kind.key()),
                    if x.fidelity == huntbrief_core::Fidelity::High {
                        "high"
                    } else {
                        "low"
                    },
                    text(&x.evidence)
                );
            }
        }
        body.push_str("</tbody></table>");
    }
    page("Indicator search", "/iocs", &body).into_response()
}

async fn use_cases(State(state): Shared) -> Response {
    let mut body = format!(
        "<h1>Use-case library</h1><p id=\"count\">{} use case(s); a briefing fires one when the article shows its evidence.</p>\
         <table id=\"use-cases\"><thead><tr><th>ID</th><th>Title</th><th>Phase</th><th>Confidence</th><th>Techniques</th><th>What it finds</th></tr></thead><tbody>",
        state.hunts.library.len()
    );
    for u in &state.hunts.library {
        let techniques: Vec<String> = u
            .techniques
            .iter()
            .map(|t| format!("<a href=\"/?technique={}\">{}</a>", query_value(t), text(t)))
            .collect();
        let _ = write!(
            body,
            "<tr id=\"{0}\"><td><code>{0}</code></td><td>{1}</td><td>{2}</td><td>{3}</td><td>{4}</td><td>{5}</td></tr>",
            text(&u.id),
            text(&u.title),
            text(u.phase.as_str()),
            text(u.confidence.as_str()),
            techniques.join(", "),
            text(&u.description)
        );
    }
    body.push_str("</tbody></table>");
    page("Use cases", "/use-cases", &body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_keeps_structure_but_never_markup_from_the_text() {
        let md = "# [HIGH] <b>x</b>\n\nA <img src=x onerror=alert(1)> here, \
                  [click](javascript:alert(1)) and [ok](https://lab.example/a) \
                  ![i](https://x.example/i.png)\n\n```spl\nindex=* \"<script>\"\n```\n";
        let html = markdown(md);
        assert!(!html.contains("<img"), "{html}");
        assert!(
            !html.contains("<b>x"),
            "the heading line is dropped: {html}"
        );
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("click"), "the text of a dropped link stays");
        assert!(
            html.contains("<a href=\"https://lab.example/a\">ok</a>"),
            "{html}"
        );
        assert!(
            html.contains("<code class=\"language-spl\">index=* \"&lt;script&gt;\""),
            "{html}"
        );
    }
}
