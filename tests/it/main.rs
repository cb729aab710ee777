//! One integration-test binary (each file under tests/ would be its own link of the whole
//! dependency graph).

mod alert_sinks;
mod alert_views;
pub mod budgets;
mod bursts;
mod check;
mod cli;
mod common;
mod config;
mod credential_identities;
mod demo_alerts;
mod e2e;
mod engine_scenarios;
mod fixtures;
mod follow;
mod formats;
mod identity_detail;
mod origins;
mod real_logs;
mod tui_more;
mod views;
