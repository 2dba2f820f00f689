//! huntbrief's web service over the store: a server-rendered dashboard, a JSON API and a
//! TAXII 2.1 server. Requests read an in-memory snapshot ([`catalog::Catalog`]) that is
//! rebuilt when the store changes, so a page never waits on the database and a running
//! `watch` can write while the server reads.
//!
//! Everything except `/api/health` and the static assets needs HTTP basic auth; every
//! response carries a Content-Security-Policy that allows only our own script and style.

pub mod actors;
pub mod api;
pub mod auth;
pub mod catalog;
pub mod conn;
pub mod dashboard;
pub mod html;
pub mod taxii;

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::middleware;
use huntbrief_core::hunts::HuntKb;
use huntbrief_store::{Store, StoreError, StoredArticle};

pub use auth::Credentials;
pub use catalog::Catalog;
pub use conn::ConnLimits;

/// What the pages and the API read: one consistent view of the store.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub catalog: Catalog,
    pub taxii: taxii::Collections,
    /// Cheap fingerprint of the stored briefings, to notice a change.
    revision: (usize, i64, i64),
}

impl Snapshot {
    pub fn new(articles: Vec<StoredArticle>) -> Self {
        let revision = revision(&articles);
        let catalog = Catalog::new(articles);
        let taxii = taxii::Collections::new(&catalog);
        Self {
            catalog,
            taxii,
            revision,
        }
    }
}

fn revision(articles: &[StoredArticle]) -> (usize, i64, i64) {
    (
        articles.len(),
        articles.iter().map(|a| a.changed_at).max().unwrap_or(0),
        articles.iter().map(|a| a.first_seen).sum(),
    )
}

/// Shared by every request.
pub struct AppState {
    snapshot: RwLock<Arc<Snapshot>>,
    store: Mutex<Box<dyn Store + Send>>,
    pub credentials: Credentials,
    pub hunts: HuntKb,
}

impl AppState {
    pub fn new(
        store: Box<dyn Store + Send>,
        credentials: Credentials,
        hunts: HuntKb,
    ) -> Result<Arc<Self>, StoreError> {
        let snapshot = Snapshot::new(store.articles()?);
        Ok(Arc::new(Self {
            snapshot: RwLock::new(Arc::new(snapshot)),
            store: Mutex::new(store),
            credentials,
            hunts,
        }))
    }

    /// The current view.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Reloads the store and swaps the view in when the briefings changed. Returns
    /// whether it did.
    pub fn refresh(&self) -> Result<bool, StoreError> {
        let articles = self
            .store
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .articles()?;
        if revision(&articles) == self.snapshot().revision {
            return Ok(false);
        }
        let fresh = Arc::new(Snapshot::new(articles));
        *self.snapshot.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(true)
    }
}

/// The whole service.
pub fn router(state: Arc<AppState>) -> Router {
    let protected = Router::new()
        .merge(dashboard::routes())
        .merge(api::routes())
        .merge(taxii::routes())
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::require));
    Router::new()
        .merge(api::open_routes())
        .merge(dashboard::static_routes())
        .merge(protected)
        .layer(middleware::map_response(security_headers))
        .with_state(state)
}

/// Serves until `shutdown` resolves, refreshing the view every `refresh`, with the
/// default connection limits.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    refresh: Duration,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, refresh, ConnLimits::default(), shutdown).await
}

/// [`serve`] with explicit connection limits.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    refresh: Duration,
    limits: ConnLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let refresher = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(refresh);
            tick.tick().await;
            loop {
                tick.tick().await;
                let s = state.clone();
                match tokio::task::spawn_blocking(move || s.refresh()).await {
                    Ok(Ok(true)) => tracing::info!("briefings changed; view refreshed"),
                    Ok(Ok(false)) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "cannot refresh from the store"),
                    Err(e) => tracing::warn!(error = %e, "refresh task failed"),
                }
            }
        })
    };
    let result = conn::accept_loop(listener, router(state), limits, shutdown).await;
    refresher.abort();
    result
}

/// Our own script and style only; no frames, no plugins, no form posts elsewhere.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
