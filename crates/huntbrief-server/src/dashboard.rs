//! The dashboard (being written).

use std::sync::Arc;

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
}

pub fn static_routes() -> Router<Arc<AppState>> {
    Router::new()
}
