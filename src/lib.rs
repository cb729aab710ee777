//! tokentop: a live terminal monitor for AI token spend and risk per identity.
//!
//! Data flows one way: `source` (IO) -> `parse` (bytes -> [`event::Event`]) -> `engine`
//! (windows, totals, histograms) -> [`engine::Snapshot`] -> `ui` views / `report`.
//! `event`, `parse`, `pricing` and `engine` never touch a terminal, a clock or the network.

pub mod access;
pub mod alert_out;
pub mod app;
pub mod check;
pub mod cli;
pub mod config;
pub mod demo;
pub mod engine;
pub mod event;
pub mod format;
pub mod incident;
pub mod keymap;
pub mod layout;
pub mod live;
pub mod parse;
pub mod pricing;
#[cfg(test)]
mod properties;
pub mod redact;
pub mod replay;
pub mod report;
pub mod request;
pub mod sanitize;
pub mod secrets;
pub mod serve;
pub mod source;
pub mod state;
pub mod theme;
pub mod timefmt;
pub mod ui;
pub mod usage;
