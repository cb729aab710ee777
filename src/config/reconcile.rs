//! `[reconcile]`: how much provider spend no log explains makes a finding
//! (`unattributed_usd`, per identity per UTC day) and how long a provider's bucket waits
//! before it counts (`settle`: the providers' reports lag behind the logs).

use serde::Deserialize;
use toml::Spanned;

use super::file::Located;
use crate::event::TimeMs;

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReconcileShape {
    unattributed_usd: Option<Spanned<f64>>,
    settle: Option<Spanned<String>>,
}

/// The checked `[reconcile]` table, with its defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct ReconcileSettings {
    /// Unattributed spend above this, for one identity on one UTC day, is a finding.
    pub unattributed_usd: f64,
    /// A day counts once its end is this long past (milliseconds).
    pub settle_ms: TimeMs,
    /// `settle` as written, for the report.
    pub settle: String,
}

impl Default for ReconcileSettings {
    fn default() -> Self {
        ReconcileSettings {
            unattributed_usd: 5.0,
            settle_ms: 2 * 3_600_000,
            settle: "2h".to_string(),
        }
    }
}

pub(super) fn settings(shape: ReconcileShape) -> Result<ReconcileSettings, Located> {
    let mut settings = ReconcileSettings::default();
    if let Some(usd) = shape.unattributed_usd {
        let x = *usd.get_ref();
        if !(x.is_finite() && x >= 0.0) {
            return Err(Located {
                offset: usd.span().start,
                message: "[reconcile] unattributed_usd must be a number of dollars, 0 or more"
                    .into(),
            });
        }
        settings.unattributed_usd = x;
    }
    if let Some(text) = shape.settle {
        settings.settle_ms = span_ms(text.get_ref()).ok_or_else(|| Located {
            offset: text.span().start,
            message: format!(
                "[reconcile] settle = {:?}: use minutes, hours or days such as \"90m\", \"2h\" or \"1d\"",
                crate::sanitize::sanitize(text.get_ref(), 40)
            ),
        })?;
        settings.settle = text.into_inner();
    }
    Ok(settings)
}

/// `"0s"`, `"90m"`, `"2h"` or `"1d"` in milliseconds.
fn span_ms(text: &str) -> Option<TimeMs> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let n: TimeMs = text[..split].parse().ok()?;
    let unit = match &text[split..] {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settle_reads_seconds_to_days_and_defaults_to_two_hours() {
        assert_eq!(span_ms("0s"), Some(0));
        assert_eq!(span_ms("90m"), Some(5_400_000));
        assert_eq!(span_ms("1d"), Some(86_400_000));
        assert_eq!(span_ms("2"), None);
        assert_eq!(span_ms("-2h"), None);
        assert_eq!(span_ms("2w"), None);
        let d = settings(ReconcileShape::default()).ok().unwrap();
        assert_eq!((d.unattributed_usd, d.settle_ms), (5.0, 7_200_000));
    }

    #[test]
    fn a_negative_threshold_is_refused() {
        let shape: ReconcileShape = toml::from_str("unattributed_usd = -1\n").unwrap();
        assert!(settings(shape).is_err());
        let shape: ReconcileShape =
            toml::from_str("unattributed_usd = 0.5\nsettle = \"30m\"\n").unwrap();
        let s = settings(shape).ok().unwrap();
        assert_eq!((s.unattributed_usd, s.settle_ms), (0.5, 1_800_000));
    }
}
