//! HTTP basic authentication for everything but health and static assets. TAXII clients
//! (and browsers, after their prompt) send the header with every request.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::AppState;

/// The one account the server accepts.
#[derive(Clone)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"…")
            .finish()
    }
}

impl Credentials {
    /// Whether `headers` carry these credentials.
    pub fn accept(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return false;
        };
        let Some((scheme, encoded)) = value.trim().split_once(' ') else {
            return false;
        };
        if !scheme.eq_ignore_ascii_case("basic") {
            return false;
        }
        let Ok(decoded) = STANDARD.decode(encoded.trim()) else {
            return false;
        };
        let Some(colon) = decoded.iter().position(|&b| b == b':') else {
            return false;
        };
        let (user, password) = (&decoded[..colon], &decoded[colon + 1..]);
        // Both compared in full, whatever the first mismatch, so timing tells nothing.
        let user_ok = same(user, self.username.as_bytes());
        let password_ok = same(password, self.password.as_bytes());
        user_ok & password_ok
    }
}

/// Constant-time comparison for equal lengths (the length itself is not secret).
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub async fn require(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    if state.credentials.accept(request.headers()) {
        return next.run(request).await;
    }
    let taxii = request.uri().path().starts_with("/taxii2");
    let mut response = if taxii {
        crate::taxii::error(StatusCode::UNAUTHORIZED, "authentication required")
    } else {
        (StatusCode::UNAUTHORIZED, "authentication required\n").into_response()
    };
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"huntbrief\", charset=\"UTF-8\""),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn accepts_only_the_configured_account() {
        let c = Credentials {
            username: "analyst".into(),
            password: "pa:ss word".into(),
        };
        let basic = |s: &str| format!("Basic {}", STANDARD.encode(s));
        assert!(c.accept(&headers(&basic("analyst:pa:ss word"))));
        assert!(c.accept(&headers(
            &basic("analyst:pa:ss word").replace("Basic", "basic")
        )));
        assert!(!c.accept(&headers(&basic("analyst:pa:ss wore"))));
        assert!(!c.accept(&headers(&basic("analys:pa:ss word"))));
        assert!(!c.accept(&headers(&basic("analyst"))));
        assert!(!c.accept(&headers("Bearer xyz")));
        assert!(!c.accept(&headers("Basic !!!")));
        assert!(!c.accept(&HeaderMap::new()));
        assert!(
            !format!("{c:?}").contains("pa:ss"),
            "Debug hides the password"
        );
    }
}
