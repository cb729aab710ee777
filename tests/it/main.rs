//! One integration-test binary (each file under tests/ would be its own link of the whole
//! dependency graph).

pub mod budgets;
mod check;
mod cli;
mod common;
mod config;
mod engine_scenarios;
mod fixtures;
mod follow;
mod formats;
mod real_logs;
mod views;
