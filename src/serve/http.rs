//! The HTTP side: `/metrics` and `/healthz` from the engine thread's latest publication,
//! behind a bearer token when listening beyond loopback.

use std::fmt::Write;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::watch;

use super::Published;
use super::expose::{CONTENT_TYPE, render};
use crate::access::{Token, authorized};
use crate::sanitize::sanitize;

type Latest = watch::Receiver<Arc<Published>>;

/// The routes, reading `latest`, behind `token` when there is one.
pub fn router(latest: Latest, token: Option<Token>) -> Router {
    let routes = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .with_state(latest);
    match token {
        None => routes,
        Some(token) => {
            let token = Arc::new(token);
            routes.layer(middleware::from_fn(move |req: Request, next: Next| {
                let token = Arc::clone(&token);
                async move { authorize(&token, req, next).await }
            }))
        }
    }
}

async fn authorize(token: &Token, req: Request, next: Next) -> Response {
    let sent = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes());
    if authorized(sent, token) {
        return next.run(req).await;
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        "send the token of --listen-token-env as Authorization: Bearer TOKEN\n",
    )
        .into_response()
}

async fn metrics(State(latest): State<Latest>) -> Response {
    let published = latest.borrow().clone();
    (
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        render(&published.exposition),
    )
        .into_response()
}

async fn healthz(State(latest): State<Latest>) -> Response {
    let published = latest.borrow().clone();
    let status = if published.unreadable() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        health_text(&published),
    )
        .into_response()
}

/// One line for the whole, then one per source and per alert output.
pub fn health_text(p: &Published) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        if p.unreadable() {
            "unavailable: no source can be read"
        } else {
            "ok"
        }
    );
    for (what, s) in p
        .sources
        .iter()
        .map(|s| ("source", s))
        .chain(p.sinks.iter().map(|s| ("alerts", s)))
    {
        let state = match &s.error {
            None => "ok".to_string(),
            Some(e) => format!("error: {}", sanitize(e, 200)),
        };
        let _ = writeln!(
            out,
            "{what} {}: {state} ({})",
            sanitize(&s.name, 200),
            s.detail
        );
    }
    out
}
