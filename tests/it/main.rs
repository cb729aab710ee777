//! One integration-test binary (each file under tests/ would be its own link of the whole
//! dependency graph).

mod alert_sinks;
mod alert_views;
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
mod prices;
mod provider_cli;
mod provider_server;
mod providers;
mod real_logs;
mod report_out;
mod report_sizes;
mod retention;
mod rolling_sizes;
mod shared_data;
mod size_views;
mod tally;
mod themes;
mod tool_calls_by_format;
mod tui_more;
pub mod views;
