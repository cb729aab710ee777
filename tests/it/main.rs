//! One integration-test binary (each file under tests/ would be its own link of the whole
//! dependency graph).

mod alert_sinks;
mod alert_views;
mod bursts;
mod cli;
mod common;
mod demo_alerts;
mod engine_scenarios;
mod fixtures;
mod follow;
mod formats;
mod real_logs;
mod views;
