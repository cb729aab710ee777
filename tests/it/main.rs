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
mod demo_alerts;
mod engine_scenarios;
mod fixtures;
mod follow;
mod formats;
mod origins;
mod real_logs;
mod views;
