//! The accept loop: HTTP/1 connections with a header-read timeout (which also closes a
//! keep-alive connection idle for that long, and one that never sends a request) and a
//! cap on open connections below the process's file limit, so idle clients cannot hold
//! every descriptor and starve `/api/health` or the store refresh.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::sync::Semaphore;

/// How connections are bounded.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// A request's headers must arrive within this; an idle connection is closed after it.
    pub header_timeout: Duration,
    /// Open connections at most (further ones are closed at once); lowered to half the
    /// open-file limit when that is smaller.
    pub max_connections: usize,
    /// How long a shutdown waits for requests in progress.
    pub shutdown_grace: Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            max_connections: 512,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

impl ConnLimits {
    /// The cap actually applied: the configured one, but at most half the soft limit on
    /// open files (the rest is for the store, the exports and the fetcher).
    pub fn effective_max(&self) -> usize {
        let by_files = open_file_limit().map_or(usize::MAX, |n| (n / 2) as usize);
        self.max_connections.min(by_files).max(1)
    }
}

/// The soft limit on open files, from `/proc/self/limits` (Linux); `None` elsewhere.
fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Serves `app` on `listener` until `shutdown` resolves.
pub async fn accept_loop(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let max = limits.effective_max();
    let slots = Arc::new(Semaphore::new(max));
    let graceful = GracefulShutdown::new();
    let service = TowerToHyperService::new(app);
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    let mut refused = 0u64;
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors or a reset before accept: wait a moment, go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            refused += 1;
            if refused.is_power_of_two() {
                tracing::warn!(
                    max,
                    refused,
                    "connection cap reached; closing new connections"
                );
            }
            drop(stream);
            continue;
        };
        let connection =
            graceful.watch(builder.serve_connection(TokioIo::new(stream), service.clone()));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection closed");
            }
            drop(slot);
        });
    }
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in progress at shutdown were dropped");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_stays_below_the_file_limit() {
        let limits = ConnLimits {
            max_connections: usize::MAX,
            ..ConnLimits::default()
        };
        let max = limits.effective_max();
        if let Some(files) = open_file_limit() {
            assert!((max as u64) <= files / 2, "{max} vs {files}");
        }
        assert!(max >= 1);
        let small = ConnLimits {
            max_connections: 3,
            ..ConnLimits::default()
        };
        assert_eq!(small.effective_max(), 3);
    }
}
