//! The config file: identity rules, budgets, the time zone and price entries, in TOML.
//!
//! Read from `--config FILE`, else `$XDG_CONFIG_HOME/tokentop/config.toml` or
//! `~/.config/tokentop/config.toml` when it exists. Every table rejects unknown keys, and
//! every error names the file, the line and column, and the key, because a budget that
//! silently never applies is worse than no budget at all.

mod file;
mod policy;
pub mod providers;
pub mod reconcile;
pub mod secrets;

use crate::engine::burst::BurstSettings;
use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;

use crate::engine::budget::BudgetSpec;
use crate::engine::mapping::IdentityRule;

/// The config, checked and resolved.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The file it came from; `None` when there is none (nothing mapped, no budgets).
    pub path: Option<PathBuf>,
    /// `time_zone`: for "today", days and calendar budgets, unless `--tz` says otherwise.
    pub time_zone: Option<TimeZone>,
    pub identities: Vec<IdentityRule>,
    pub budgets: Vec<BudgetSpec>,
    /// `[[policy]]`: the tools identities may call.
    pub policies: Vec<crate::engine::policy::PolicySpec>,
    /// `[bursts]`: how eager burst detection is.
    pub bursts: BurstSettings,
    /// `[prices]`: the price table entries that price given model ids.
    pub prices: Vec<PriceName>,
    /// `[providers.openai]`, `[providers.anthropic]`: provider APIs to read.
    pub providers: Vec<crate::source::provider::ProviderSpec>,
    /// `[reconcile]`: when provider spend that no log explains is a finding.
    pub reconcile: reconcile::ReconcileSettings,
    /// `[serve]`: how `tokentop serve` exposes its metrics.
    pub serve: ServeSettings,
    /// `[otlp]`: how the OTLP receiver names identities and waits on metric points.
    pub otlp: OtlpSettings,
    /// `[secrets]`: scanning records for credentials, and what to ignore.
    pub secrets: secrets::SecretsSettings,
}

/// The checked `[otlp]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtlpSettings {
    /// Attributes that name an identity, the first present winning (on the record, then
    /// on its resource).
    pub identity: Vec<String>,
    /// The senders' metric export interval: how long a session's metric points wait for
    /// its events before they count.
    pub metric_interval_ms: crate::event::TimeMs,
}

impl Default for OtlpSettings {
    fn default() -> Self {
        OtlpSettings {
            identity: crate::parse::otlp::DEFAULT_IDENTITY
                .map(String::from)
                .to_vec(),
            metric_interval_ms: 60_000,
        }
    }
}

/// The checked `[serve]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServeSettings {
    /// At most this many identities and this many tools get a label of their own; later
    /// ones share `other`.
    pub max_label_values: usize,
}

impl Default for ServeSettings {
    fn default() -> Self {
        ServeSettings {
            max_label_values: 200,
        }
    }
}

/// One line of `[prices]`: `"model id" = "price table key"`, for a model whose entries
/// disagree (or that the table prices otherwise than you pay).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceName {
    pub model: String,
    pub entry: String,
    /// Where it is in the file, for the message when the table has no such entry.
    pub line: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {error}")]
    Read { path: String, error: std::io::Error },
    /// A bad key or value, with where it is.
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
}

/// Line and column (both from 1, columns in characters) of a byte offset.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

impl Config {
    /// Parses a config's text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let invalid = |offset: usize, message: String| {
            let (line, column) = position(text, offset);
            ConfigError::Invalid {
                path: path.display().to_string(),
                line,
                column,
                message,
            }
        };
        let mut config = file::parse(text).map_err(|e| invalid(e.offset, e.message))?;
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.display().to_string(),
            error,
        })?;
        Config::parse(&text, path)
    }

    /// `explicit` (`--config`), else the default file when it exists, else no config.
    pub fn resolve(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        match explicit {
            Some(path) => Config::load(path),
            None => match default_path().filter(|p| p.is_file()) {
                Some(path) => Config::load(&path),
                None => Ok(Config::default()),
            },
        }
    }
}

/// `$XDG_CONFIG_HOME/tokentop/config.toml` when that variable holds an absolute path
/// (as the XDG spec asks), else `$HOME/.config/tokentop/config.toml`.
fn default_path() -> Option<PathBuf> {
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let base = xdg.or_else(|| {
        std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| PathBuf::from(h).join(".config"))
    })?;
    Some(base.join("tokentop").join("config.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(position(text, 0), (1, 1));
        assert_eq!(position(text, 6), (2, 1));
        assert_eq!(position(text, 10), (2, 4), "é is one column");
        assert_eq!(position(text, 999), (3, 1));
    }
}
