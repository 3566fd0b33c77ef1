//! A loopback HTTP origin that plays the publishers: it serves the bundled demo
//! corpus as feeds and article pages, and a set of faults for tests.
//!
//! The demo and the tests fetch from it through courant's real fetcher, so the
//! whole path (HTTP, charset, feed parsing, extraction) runs as in production.
#![warn(missing_docs)]

pub mod demo;
#[cfg(feature = "faults")]
mod faults;
mod markup;

use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

#[cfg(feature = "faults")]
pub use faults::faults;

/// A running origin server; stops when dropped.
#[derive(Debug)]
pub struct Server {
    /// Bound address (127.0.0.1 and an ephemeral port).
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Server {
    /// Base URL, `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Absolute URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A bound but not yet serving origin: its base URL is known, so feeds can
/// carry absolute links before the router is built.
#[derive(Debug)]
pub struct Bound {
    listener: TcpListener,
    addr: SocketAddr,
}

impl Bound {
    /// Base URL, `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Starts serving `router`.
    pub fn serve(self, router: Router) -> Server {
        let listener = self.listener;
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::error!(error = %e, "origin server stopped");
            }
        });
        Server {
            addr: self.addr,
            task,
        }
    }
}

/// Binds 127.0.0.1 on an ephemeral port.
pub async fn bind() -> std::io::Result<Bound> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    Ok(Bound { listener, addr })
}

/// Binds and serves the router built from the base URL.
pub async fn spawn(make: impl FnOnce(&str) -> Router) -> std::io::Result<Server> {
    let bound = bind().await?;
    let router = make(&bound.base());
    Ok(bound.serve(router))
}
