//! `[secrets]`: whether records are scanned for credentials (on by default) and which
//! findings a person has judged harmless:
//!
//! ```toml
//! [secrets]
//! enabled = true
//! ignore = { types = ["jwt"], paths = ["toolUseResult.*"], fingerprints = ["0f…"] }
//! ```

use serde::Deserialize;
use toml::Spanned;

use super::file::Located;
use crate::secrets::Ignore;

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SecretsShape {
    enabled: Option<bool>,
    ignore: Option<Spanned<IgnoreShape>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct IgnoreShape {
    #[serde(default)]
    types: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    fingerprints: Vec<String>,
}

/// The checked `[secrets]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretsSettings {
    /// Scan records for secrets (live, `check`, `report --findings`).
    pub enabled: bool,
    pub ignore: Ignore,
}

impl Default for SecretsSettings {
    fn default() -> Self {
        SecretsSettings {
            enabled: true,
            ignore: Ignore::default(),
        }
    }
}

pub(super) fn settings(shape: SecretsShape) -> Result<SecretsSettings, Located> {
    let ignore = match shape.ignore {
        Some(ignore) => {
            let offset = ignore.span().start;
            let IgnoreShape {
                types,
                paths,
                fingerprints,
            } = ignore.into_inner();
            Ignore::new(types, paths, &fingerprints).map_err(|e| Located {
                offset,
                message: e.to_string(),
            })?
        }
        None => Ignore::default(),
    };
    Ok(SecretsSettings {
        enabled: shape.enabled.unwrap_or(true),
        ignore,
    })
}
