//! Semantic styles read from a TOML theme: views ask for a meaning (`muted`, `critical`,
//! the selected row), never for a colour, so themes can change without touching views.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::engine::alerts::Severity;

/// The built-in default theme, embedded in the binary.
pub const DEFAULT_THEME: &str = include_str!("../themes/default.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    colors: Colors,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Colors {
    text: String,
    muted: String,
    accent: String,
    border: String,
    title: String,
    header_bg: String,
    table_header: String,
    selected_fg: String,
    selected_bg: String,
    ok: String,
    warn: String,
    critical: String,
    unpriced: String,
    key: String,
    trend: String,
    alert_fg: String,
    alert_bg: String,
    acknowledged: String,
}

/// How alarming a value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Ok,
    Warn,
    Critical,
}

impl From<crate::engine::budget::BudgetLevel> for Level {
    fn from(level: crate::engine::budget::BudgetLevel) -> Self {
        use crate::engine::budget::BudgetLevel;
        match level {
            BudgetLevel::Ok => Level::Ok,
            BudgetLevel::Warn => Level::Warn,
            BudgetLevel::Over => Level::Critical,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    pub name: String,
    text: Color,
    muted: Color,
    accent: Color,
    border: Color,
    title: Color,
    header_bg: Color,
    table_header: Color,
    selected_fg: Color,
    selected_bg: Color,
    ok: Color,
    warn: Color,
    critical: Color,
    unpriced: Color,
    key: Color,
    trend: Color,
    /// A row with a critical alert: these colours, so it cannot be missed.
    alert_fg: Color,
    alert_bg: Color,
    /// Alerts and rows the viewer has acknowledged.
    acknowledged: Color,
}

fn color(key: &str, value: &str) -> Result<Color, String> {
    value
        .parse::<Color>()
        .map_err(|_| format!("colors.{key} = {value:?} is not a colour: use a name such as \"cyan\", \"#rrggbb\" or 0-255"))
}

impl Theme {
    pub fn parse(text: &str) -> Result<Theme, String> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let c = file.colors;
        Ok(Theme {
            name: file.name,
            text: color("text", &c.text)?,
            muted: color("muted", &c.muted)?,
            accent: color("accent", &c.accent)?,
            border: color("border", &c.border)?,
            title: color("title", &c.title)?,
            header_bg: color("header_bg", &c.header_bg)?,
            table_header: color("table_header", &c.table_header)?,
            selected_fg: color("selected_fg", &c.selected_fg)?,
            selected_bg: color("selected_bg", &c.selected_bg)?,
            ok: color("ok", &c.ok)?,
            warn: color("warn", &c.warn)?,
            critical: color("critical", &c.critical)?,
            unpriced: color("unpriced", &c.unpriced)?,
            key: color("key", &c.key)?,
            trend: color("trend", &c.trend)?,
            alert_fg: color("alert_fg", &c.alert_fg)?,
            alert_bg: color("alert_bg", &c.alert_bg)?,
            acknowledged: color("acknowledged", &c.acknowledged)?,
        })
    }

    /// The embedded default theme.
    pub fn builtin() -> Theme {
        match Theme::parse(DEFAULT_THEME) {
            Ok(theme) => theme,
            // The embedded file is checked by a test; this arm keeps start-up panic-free.
            Err(_) => Theme::fallback(),
        }
    }

    fn fallback() -> Theme {
        Theme {
            name: "fallback".into(),
            text: Color::Reset,
            muted: Color::DarkGray,
            accent: Color::Cyan,
            border: Color::DarkGray,
            title: Color::Cyan,
            header_bg: Color::Reset,
            table_header: Color::Blue,
            selected_fg: Color::Black,
            selected_bg: Color::Cyan,
            ok: Color::Green,
            warn: Color::Yellow,
            critical: Color::Red,
            unpriced: Color::Magenta,
            key: Color::Yellow,
            trend: Color::Green,
            alert_fg: Color::White,
            alert_bg: Color::Red,
            acknowledged: Color::DarkGray,
        }
    }

    pub fn text(&self) -> Style {
        Style::new().fg(self.text)
    }
    pub fn muted(&self) -> Style {
        Style::new().fg(self.muted)
    }
    pub fn accent(&self) -> Style {
        Style::new().fg(self.accent)
    }
    pub fn border(&self) -> Style {
        Style::new().fg(self.border)
    }
    pub fn title(&self) -> Style {
        Style::new().fg(self.title).add_modifier(Modifier::BOLD)
    }
    pub fn header(&self) -> Style {
        Style::new().bg(self.header_bg)
    }
    pub fn table_header(&self) -> Style {
        Style::new()
            .fg(self.table_header)
            .add_modifier(Modifier::BOLD)
    }
    pub fn row(&self, selected: bool) -> Style {
        if selected {
            Style::new().fg(self.selected_fg).bg(self.selected_bg)
        } else {
            self.text()
        }
    }
    pub fn level(&self, level: Level) -> Style {
        match level {
            Level::Ok => Style::new().fg(self.ok),
            Level::Warn => Style::new().fg(self.warn),
            Level::Critical => Style::new().fg(self.critical).add_modifier(Modifier::BOLD),
        }
    }
    pub fn unpriced(&self) -> Style {
        Style::new().fg(self.unpriced)
    }
    pub fn key(&self) -> Style {
        Style::new().fg(self.key).add_modifier(Modifier::BOLD)
    }
    /// Sparklines of usage over time.
    pub fn trend(&self) -> Style {
        Style::new().fg(self.trend)
    }
    /// An active alert's text.
    pub fn alert(&self, severity: Severity) -> Style {
        match severity {
            Severity::Info => self.accent(),
            Severity::Warn => self.level(Level::Warn),
            Severity::Critical => self.level(Level::Critical),
        }
    }
    /// A whole table row with an active alert: critical ones stand out from every other row.
    pub fn alert_row(&self, severity: Severity) -> Style {
        match severity {
            Severity::Critical => Style::new()
                .fg(self.alert_fg)
                .bg(self.alert_bg)
                .add_modifier(Modifier::BOLD),
            Severity::Warn => self.level(Level::Warn).add_modifier(Modifier::BOLD),
            Severity::Info => self.accent(),
        }
    }
    /// An alert (or a row whose alerts are all) acknowledged: still there, no longer loud.
    pub fn acknowledged(&self) -> Style {
        Style::new().fg(self.acknowledged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_theme_parses() {
        let theme = Theme::parse(DEFAULT_THEME).unwrap();
        assert_eq!(theme.name, "default");
    }

    #[test]
    fn unknown_keys_and_bad_colours_are_named() {
        let extra = DEFAULT_THEME.replace("key = ", "sparkles = \"red\"\nkey = ");
        let err = Theme::parse(&extra).unwrap_err();
        assert!(err.contains("sparkles"), "{err}");
        let bad = DEFAULT_THEME.replace("ok = \"green\"", "ok = \"greenish\"");
        let err = Theme::parse(&bad).unwrap_err();
        assert!(
            err.contains("colors.ok") && err.contains("greenish"),
            "{err}"
        );
    }
}
