//! The OTLP/HTTP receiver: `POST /v1/logs`, `/v1/traces` and `/v1/metrics`, protobuf or
//! JSON, gzip or not, on its own thread with a runtime of its own (as the provider poller).
//! Records go through the pure decoders of [`crate::parse::otlp`] into the engine's
//! channel as [`Feed::Events`], never blocking: a full channel is answered 503 with
//! `Retry-After`, so an exporter retries instead of the keys and frames waiting. Its health
//! (records, events, rejected by reason, last error) goes the same way.
//!
//! Loopback only unless `--otlp-allow-remote`, and then only with a bearer token: the
//! records carry user emails.

mod handle;

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use axum::Router;
use axum::extract::{Request, State};
use axum::routing::post;

pub use self::handle::{MAX_BODY_BYTES, RETRY_AFTER_SECS};
use crate::access::Token;
use crate::config::OtlpSettings;
use crate::event::TimeMs;
use crate::parse::otlp::{MetricGate, Series, Signal};
use crate::secrets::Scanner;
use crate::source::Feed;
use crate::source::health::SourceHealth;

/// The address a bare `--otlp` listens on (OTLP/HTTP's port).
pub const DEFAULT_ADDR: &str = "127.0.0.1:4318";

/// How often held metric points are looked at, so that they count when their wait ends
/// even if nothing else arrives.
const RELEASE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// The wall clock, in the engine's unit: the time given to records that carry none.
pub type Clock = fn() -> TimeMs;

/// A bound receiver, not yet serving: binding first lets a caller fail before taking the
/// terminal, and lets tests bind port 0 and read the port back.
#[derive(Debug)]
pub struct Receiver {
    listener: TcpListener,
    token: Option<Token>,
    settings: OtlpSettings,
    name: String,
    /// Scans each record's text attributes for secrets (`None`: no scan).
    scanner: Option<Arc<Scanner>>,
}

impl Receiver {
    /// Binds `addr`; `token` is what [`crate::access::token_for`] gave for it.
    pub fn bind(
        addr: SocketAddr,
        token: Option<Token>,
        settings: OtlpSettings,
    ) -> io::Result<Receiver> {
        let listener = TcpListener::bind(addr).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot listen for OTLP on {addr}: {e} (is another receiver on that port?)"
                ),
            )
        })?;
        listener.set_nonblocking(true)?;
        let name = format!("otlp {}", listener.local_addr()?);
        Ok(Receiver {
            listener,
            token,
            settings,
            name,
            scanner: None,
        })
    }

    /// Scans each record's text attributes (prompts, tool parameters) for secrets.
    pub fn scanning(mut self, scanner: Option<Arc<Scanner>>) -> Self {
        self.scanner = scanner;
        self
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// How the receiver is named among the sources (`otlp 127.0.0.1:4318`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Serves until the engine's channel closes.
    pub fn spawn(self, tx: SyncSender<Feed>, clock: Clock) -> io::Result<JoinHandle<()>> {
        std::thread::Builder::new()
            .name("otlp".into())
            .spawn(move || {
                let name = self.name.clone();
                if let Err(e) = self.serve(tx.clone(), clock) {
                    let health = SourceHealth {
                        last_error: Some(format!("the OTLP receiver stopped: {e}")),
                        ..SourceHealth::new(&name)
                    };
                    let _ = tx.try_send(Feed::Health(vec![health]));
                }
            })
    }

    fn serve(self, tx: SyncSender<Feed>, clock: Clock) -> io::Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let shared = Arc::new(handle::Shared {
            health: Mutex::new(SourceHealth::new(&self.name)),
            tx,
            clock,
            token: self.token,
            metrics: Mutex::new(handle::Metrics {
                series: Series::default(),
                gate: MetricGate::new(self.settings.metric_interval_ms),
            }),
            settings: self.settings,
            scanner: self.scanner,
            closed: tokio::sync::Notify::new(),
        });
        let _ = shared.tx.try_send(Feed::Health(vec![shared.health()]));
        let router = Router::new()
            .route("/v1/logs", post(logs))
            .route("/v1/traces", post(traces))
            .route("/v1/metrics", post(metrics))
            .with_state(shared.clone());
        runtime.block_on(async move {
            let ticking = shared.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(RELEASE_EVERY);
                loop {
                    tick.tick().await;
                    handle::release_due(&ticking);
                }
            });
            let listener = tokio::net::TcpListener::from_std(self.listener)?;
            axum::serve(listener, router)
                .with_graceful_shutdown(async move { shared.closed.notified().await })
                .await
        })
    }
}

type Shared = State<Arc<handle::Shared>>;

async fn logs(State(shared): Shared, request: Request) -> axum::response::Response {
    handle::export(&shared, Signal::Logs, request).await
}

async fn traces(State(shared): Shared, request: Request) -> axum::response::Response {
    handle::export(&shared, Signal::Traces, request).await
}

async fn metrics(State(shared): Shared, request: Request) -> axum::response::Response {
    handle::export(&shared, Signal::Metrics, request).await
}
