//! The HTTP listener: HTTP/1.1 with a bounded number of connections and a
//! deadline for each request's head, so idle or dripping clients cannot hold
//! the process's file descriptors (axum's own `serve` has neither knob).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// How many clients the server holds at once, and for how long it waits on
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Open connections at most; further clients wait in the kernel's
    /// backlog until one closes.
    pub max_connections: usize,
    /// A request's head must arrive within this time, counted from the
    /// connection's start or the end of the previous response: an idle
    /// keep-alive connection is closed after it.
    pub header_timeout: Duration,
}

impl ServerLimits {
    /// Limits that fit the process's descriptor limit: a quarter of the
    /// descriptors (at least 64) stays free for the store, the search index,
    /// and the fetcher's sockets.
    pub fn for_descriptors(nofile: u64) -> Self {
        let spare = (nofile / 4).max(64);
        ServerLimits {
            max_connections: nofile.saturating_sub(spare).clamp(16, 65_536) as usize,
            header_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets the open
/// requests finish (for at most 10 s). Handlers see the client's address as
/// `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of descriptors or a reset before accept: wait a
                    // little rather than spin, and keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<_>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req.map(axum::body::Body::new))
        });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // Timeouts and resets end connections all the time; not news.
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("open connections did not finish within 10 s of shutdown");
    }
    Ok(())
}

/// The client's address, where the server recorded it (absent in tests that
/// call the router directly).
pub(crate) fn client(req_ext: &axum::http::Extensions) -> Option<SocketAddr> {
    req_ext
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| *a)
}
