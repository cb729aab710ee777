//! One integration-test binary (each file under tests/ would be its own link of the whole
//! dependency graph).

mod alert_sinks;
pub mod alert_views;
mod boundaries;
pub mod budgets;
mod bursts;
mod caps_on_screen;
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
mod inputs;
mod origins;
mod overview;
mod prices;
mod real_logs;
mod retention;
mod tui_more;
mod views;
