//! `[providers.openai]` and `[providers.anthropic]`: which provider APIs to read, the
//! variable holding each admin key, the URL and the monitor's poll interval.

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::file::Located;
use crate::parse::provider::Provider;
use crate::source::provider::ProviderSpec;

/// The shortest poll interval: the usage APIs are rate limited.
const MIN_INTERVAL: Duration = Duration::from_secs(10);

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProvidersShape {
    openai: Option<ProviderShape>,
    anthropic: Option<ProviderShape>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderShape {
    /// The environment variable holding the admin key (never the key itself).
    key_env: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    interval: Option<Spanned<String>>,
}

/// The providers the file turns on, with their settings over the defaults.
pub(super) fn specs(shape: ProvidersShape) -> Result<Vec<ProviderSpec>, Located> {
    let mut specs = Vec::new();
    for (provider, section) in [
        (Provider::OpenAi, shape.openai),
        (Provider::Anthropic, shape.anthropic),
    ] {
        let Some(section) = section else { continue };
        let mut spec = ProviderSpec::new(provider);
        let table = format!("[providers.{}]", provider.name());
        if let Some(name) = section.key_env {
            let valid = !name.get_ref().is_empty()
                && name
                    .get_ref()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(located(
                    &name,
                    format!(
                        "{table} key_env names the environment variable that holds the admin key (letters, digits and _), never the key itself"
                    ),
                ));
            }
            spec.key_env = vec![name.into_inner()];
        }
        if let Some(url) = section.url {
            spec.url = url_of(url.get_ref())
                .map_err(|why| located(&url, format!("{table} url: {why}")))?;
        }
        if let Some(text) = section.interval {
            spec.interval = interval(text.get_ref()).ok_or_else(|| {
                located(
                    &text,
                    format!(
                        "{table} interval = {:?}: use seconds or minutes such as \"60s\" or \"5m\", at least 10s",
                        text.get_ref()
                    ),
                )
            })?;
        }
        specs.push(spec);
    }
    Ok(specs)
}

fn located<T>(spanned: &Spanned<T>, message: String) -> Located {
    Located {
        offset: spanned.span().start,
        message,
    }
}

/// An `http` or `https` base URL, without its trailing `/`.
pub fn url_of(text: &str) -> Result<String, String> {
    let trimmed = text.trim().trim_end_matches('/');
    let scheme_ok = trimmed.starts_with("https://") || trimmed.starts_with("http://");
    let host = trimmed.split_once("://").map_or("", |(_, rest)| rest);
    if !scheme_ok || host.is_empty() {
        return Err(format!(
            "{:?} is not an http(s) URL such as https://api.openai.com/v1",
            crate::sanitize::sanitize(text, 80)
        ));
    }
    Ok(trimmed.to_string())
}

/// `"60s"`, `"5m"` or `"1h"`, at least [`MIN_INTERVAL`].
fn interval(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let n: u64 = text[..split].parse().ok()?;
    let unit = match &text[split..] {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return None,
    };
    Some(Duration::from_secs(n.checked_mul(unit)?)).filter(|d| *d >= MIN_INTERVAL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_seconds_minutes_and_hours_from_ten_seconds() {
        assert_eq!(interval("60s"), Some(Duration::from_secs(60)));
        assert_eq!(interval("5m"), Some(Duration::from_secs(300)));
        assert_eq!(interval("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(interval("9s"), None);
        assert_eq!(interval("60"), None);
        assert_eq!(interval("1d"), None);
    }

    #[test]
    fn an_empty_table_turns_a_provider_on_with_its_defaults() {
        let shape: ProvidersShape = toml::from_str("[anthropic]\n").unwrap();
        let want = ProviderSpec::new(Provider::Anthropic);
        assert_eq!(specs(shape).ok(), Some(vec![want.clone()]));
        assert_eq!(
            want.key_env,
            ["ANTHROPIC_ADMIN_KEY", "ANTHROPIC_ADMIN_API_KEY"]
        );
        assert_eq!(want.url, "https://api.anthropic.com");
        let shape: ProvidersShape =
            toml::from_str("[openai]\nkey_env = \"ORG_KEY\"\ninterval = \"2m\"\n").unwrap();
        let spec = &specs(shape).ok().unwrap()[0];
        assert_eq!(
            (spec.key_env.as_slice(), spec.interval),
            (&["ORG_KEY".to_string()][..], Duration::from_secs(120))
        );
    }

    #[test]
    fn urls_are_http_or_https_without_a_trailing_slash() {
        assert_eq!(
            url_of("http://127.0.0.1:9/v1/").as_deref(),
            Ok("http://127.0.0.1:9/v1")
        );
        assert!(url_of("api.openai.com").is_err());
        assert!(url_of("https://").is_err());
    }
}
