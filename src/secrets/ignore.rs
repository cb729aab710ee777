//! `[secrets] ignore`: findings a person has judged harmless (test fixtures are full of
//! fake keys) by type, by JSON path or by fingerprint. Types and paths are globs where
//! `*` stands for any run of characters and `?` for one, and nothing else is special, so a
//! path's brackets are written as they are: `message.content[*].input.command`.

use super::{Fingerprint, Found, TYPES};
use crate::engine::mapping::Pattern;

/// What `[secrets] ignore` lists; a finding that matches any entry is ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ignore {
    types: Vec<Pattern>,
    paths: Vec<Pattern>,
    fingerprints: Vec<Fingerprint>,
}

/// An ignore list entry that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IgnoreError {
    /// The entry itself is not repeated: a secret pasted by mistake must not be printed.
    #[error(
        "[secrets] ignore: fingerprint number {position} ({len} characters) is not 32 hex digits; \
         paste the fingerprint a finding shows, never the secret itself"
    )]
    Fingerprint { position: usize, len: usize },
    #[error("[secrets] ignore: type `{0}` matches no secret type; use one of {known}", known = TYPES.join(", "))]
    Type(String),
}

impl Ignore {
    /// An ignore list from its type globs (each must match a type in [`TYPES`]), path globs
    /// and fingerprints (32 hex digits each).
    pub fn new(
        types: Vec<String>,
        paths: Vec<String>,
        fingerprints: &[impl AsRef<str>],
    ) -> Result<Self, IgnoreError> {
        // A misspelt type would ignore nothing, silently.
        let types: Vec<Pattern> = types.into_iter().map(Pattern::new).collect();
        if let Some(unknown) = types
            .iter()
            .find(|t| !TYPES.iter().any(|known| t.matches(known)))
        {
            return Err(IgnoreError::Type(unknown.as_str().to_string()));
        }
        let fingerprints = fingerprints
            .iter()
            .enumerate()
            .map(|(index, hex)| {
                let hex = hex.as_ref();
                Fingerprint::from_hex(hex).ok_or(IgnoreError::Fingerprint {
                    position: index + 1,
                    len: hex.chars().count(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            types,
            paths: paths.into_iter().map(Pattern::new).collect(),
            fingerprints,
        })
    }

    pub fn ignores(&self, found: &Found) -> bool {
        self.fingerprints.contains(&found.fingerprint)
            || self.types.iter().any(|t| t.matches(found.secret_type))
            || self.paths.iter().any(|p| p.matches(&found.path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::FingerprintKey;

    fn found(secret_type: &'static str, path: &str, value: &str) -> Found {
        Found {
            secret_type,
            path: path.to_string(),
            fingerprint: FingerprintKey::from_bytes([3; 32]).fingerprint(value),
        }
    }

    fn glob(pattern: &str, text: &str) -> bool {
        Pattern::new(pattern).matches(text)
    }

    /// Paths' brackets are plain characters to the globs.
    #[test]
    fn globs_match_whole_text() {
        assert!(glob(
            "message.content[*].input.*",
            "message.content[2].input.command"
        ));
        assert!(glob("*.text", "message.content[0].text"));
        assert!(glob("a?c", "abc"));
        assert!(glob("*", ""));
        assert!(!glob("*.text", "message.content[0].text.more"));
        assert!(!glob("message.content", "message.content[0]"));
        assert!(glob("*a*b*c", "xxaxxbxxbxxc"));
        assert!(!glob("*a*b*c", "xxaxxcxxbxx"));
    }

    #[test]
    fn ignores_by_type_path_or_fingerprint() {
        let fixture = found("stripe_key", "toolUseResult.stdout", "sk_test_fixture");
        let print = fixture.fingerprint.to_string();
        let by_type = Ignore::new(vec!["stripe_*".into()], vec![], &[] as &[&str]);
        let by_path = Ignore::new(vec![], vec!["toolUseResult.*".into()], &[] as &[&str]);
        let by_print = Ignore::new(vec![], vec![], &[print.as_str()]);
        for ignore in [by_type, by_path, by_print] {
            assert_eq!(ignore.map(|i| i.ignores(&fixture)), Ok(true));
        }
        let other = found("github_token", "message.content[0].text", "ghp_real");
        let all = Ignore::new(
            vec!["stripe_key".into()],
            vec!["toolUseResult.*".into()],
            &[print.as_str()],
        )
        .map(|i| i.ignores(&other));
        assert_eq!(all, Ok(false));
        assert!(!Ignore::default().ignores(&fixture));
    }

    #[test]
    fn a_type_that_matches_none_is_refused() {
        let err = Ignore::new(vec!["github_pat".into()], vec![], &[] as &[&str]);
        let message = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.starts_with("[secrets] ignore: type `github_pat` matches no secret type; use one of anthropic_api_key, "),
            "{message}"
        );
        assert!(Ignore::new(vec!["aws_*".into(), "token".into()], vec![], &[] as &[&str]).is_ok());
    }

    #[test]
    fn a_bad_fingerprint_is_named_by_position_not_echoed() {
        let pasted = format!("ghp_{}", "Zq8".repeat(12));
        let err = Ignore::new(
            vec![],
            vec![],
            &["00112233445566778899aabbccddeeff", &pasted],
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(
            err.contains("fingerprint number 2 (40 characters)"),
            "{err}"
        );
        assert!(!err.contains(&pasted), "the entry is never printed");
    }
}
