//! Semantic styles read from a TOML theme: views ask for a meaning (`muted`, `critical`,
//! the selected row), never for a colour, so themes can change without touching views.
//!
//! Four themes are built in. A user file either defines every colour, or names a built-in
//! `base` and overrides any subset of it; an unknown key is an error naming it. With
//! `NO_COLOR` set no colour is drawn at all, and the few styles that must stand out (the
//! selection, critical rows) use reverse video instead.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::collections::BTreeMap;

use crate::engine::alerts::Severity;

/// The built-in themes, embedded in the binary: `--theme NAME` picks one.
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../themes/default.toml")),
    ("light", include_str!("../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../themes/high-contrast.toml"),
    ),
    ("colorblind", include_str!("../themes/colorblind.toml")),
];

/// The built-in default theme.
pub const DEFAULT_THEME: &str = BUILTIN[0].1;

/// Every colour a theme sets, by its key under `[colors]`.
pub const KEYS: [&str; 24] = [
    "text",
    "muted",
    "accent",
    "border",
    "title",
    "header_bg",
    "table_header",
    "selected_fg",
    "selected_bg",
    "ok",
    "warn",
    "critical",
    "unpriced",
    "key",
    "trend",
    "alert_fg",
    "alert_bg",
    "acknowledged",
    "class_input",
    "class_cache_read",
    "class_cache_write",
    "class_output",
    "class_reasoning",
    "budget_line",
];

/// The token classes a timeline stacks, bottom up, in the order of their theme keys.
pub const CLASSES: [&str; 5] = ["input", "cache read", "cache write", "output", "reasoning"];
/// Under `NO_COLOR` the classes are told apart by their fill instead.
const PLAIN_FILLS: [char; 5] = ['█', '▓', '▒', '░', '▚'];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: Option<String>,
    /// A built-in theme whose colours this file starts from.
    base: Option<String>,
    #[serde(default)]
    colors: BTreeMap<String, String>,
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
    /// The colours, in the order of [`KEYS`].
    colors: [Color; KEYS.len()],
    /// `NO_COLOR`: styles carry modifiers only.
    plain: bool,
}

fn color(key: &str, value: &str) -> Result<Color, String> {
    value
        .parse::<Color>()
        .map_err(|_| format!("colors.{key} = {value:?} is not a colour: use a name such as \"cyan\", \"#rrggbb\" or 0-255"))
}

impl Theme {
    /// Parses a theme file: without `base` it must set every key, with one it overrides
    /// any subset of that built-in theme.
    pub fn parse(text: &str) -> Result<Theme, String> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let base = match &file.base {
            Some(base) => Some(Theme::named(base).ok_or_else(|| {
                format!(
                    "base = {base:?} is not a built-in theme; use one of {}",
                    names()
                )
            })?),
            None => None,
        };
        let mut colors = base.as_ref().map(|b| b.colors);
        let mut set = [false; KEYS.len()];
        for (key, value) in &file.colors {
            let Some(at) = KEYS.iter().position(|k| k == key) else {
                return Err(format!(
                    "unknown key colors.{key}; the keys are {}",
                    KEYS.join(", ")
                ));
            };
            colors.get_or_insert([Color::Reset; KEYS.len()])[at] = color(key, value)?;
            set[at] = true;
        }
        if base.is_none()
            && let Some(at) = set.iter().position(|s| !s)
        {
            return Err(format!(
                "colors.{} is missing: a theme without `base` sets every colour",
                KEYS[at]
            ));
        }
        let name = file.name.or(file.base).unwrap_or_else(|| "custom".into());
        Ok(Theme {
            name,
            colors: colors.unwrap_or([Color::Reset; KEYS.len()]),
            plain: false,
        })
    }

    /// A built-in theme by name.
    pub fn named(name: &str) -> Option<Theme> {
        let (_, text) = BUILTIN.iter().find(|(n, _)| *n == name)?;
        Theme::parse(text).ok()
    }

    /// `--theme`: a built-in name or a file (the default theme when absent); `no_color`
    /// is whether `NO_COLOR` is set to something non-empty.
    pub fn load(choice: Option<&str>, no_color: bool) -> Result<Theme, String> {
        let theme = match choice {
            None => Theme::builtin(),
            Some(name) => {
                match Theme::named(name) {
                    Some(theme) => theme,
                    None => {
                        let text = std::fs::read_to_string(name).map_err(|e| {
                        format!("--theme {name}: not a built-in theme ({}) nor a readable file: {e}", names())
                    })?;
                        Theme::parse(&text).map_err(|e| format!("--theme {name}: {e}"))?
                    }
                }
            }
        };
        Ok(if no_color {
            theme.without_color()
        } else {
            theme
        })
    }

    /// The embedded default theme.
    pub fn builtin() -> Theme {
        // The embedded file is checked by a test; the fallback keeps start-up panic-free.
        Theme::named("default").unwrap_or_else(|| Theme {
            name: "fallback".into(),
            colors: [Color::Reset; KEYS.len()],
            plain: true,
        })
    }

    /// The same theme drawing no colours: for `NO_COLOR`.
    pub fn without_color(mut self) -> Theme {
        self.plain = true;
        self
    }

    /// The colour under `key`, or none under `NO_COLOR`.
    fn fg(&self, key: usize) -> Style {
        if self.plain {
            Style::new()
        } else {
            Style::new().fg(self.colors[key])
        }
    }

    /// Foreground and background colours, or reverse video under `NO_COLOR`.
    fn pair(&self, fg: usize, bg: usize) -> Style {
        if self.plain {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().fg(self.colors[fg]).bg(self.colors[bg])
        }
    }

    pub fn text(&self) -> Style {
        self.fg(0)
    }
    pub fn muted(&self) -> Style {
        self.fg(1)
    }
    pub fn accent(&self) -> Style {
        self.fg(2)
    }
    pub fn border(&self) -> Style {
        self.fg(3)
    }
    pub fn title(&self) -> Style {
        self.fg(4).add_modifier(Modifier::BOLD)
    }
    pub fn header(&self) -> Style {
        if self.plain {
            Style::new()
        } else {
            Style::new().bg(self.colors[5])
        }
    }
    pub fn table_header(&self) -> Style {
        self.fg(6).add_modifier(Modifier::BOLD)
    }
    pub fn row(&self, selected: bool) -> Style {
        if selected {
            self.pair(7, 8)
        } else {
            self.text()
        }
    }
    pub fn level(&self, level: Level) -> Style {
        match level {
            Level::Ok => self.fg(9),
            Level::Warn => self.fg(10),
            Level::Critical => self.fg(11).add_modifier(Modifier::BOLD),
        }
    }
    pub fn unpriced(&self) -> Style {
        self.fg(12)
    }
    pub fn key(&self) -> Style {
        self.fg(13).add_modifier(Modifier::BOLD)
    }
    /// Sparklines of usage over time.
    pub fn trend(&self) -> Style {
        self.fg(14)
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
            Severity::Critical => self.pair(15, 16).add_modifier(Modifier::BOLD),
            Severity::Warn => self.level(Level::Warn).add_modifier(Modifier::BOLD),
            Severity::Info => self.accent(),
        }
    }
    /// The paused indicator: a frozen screen must never pass for a live one.
    pub fn paused(&self) -> Style {
        self.level(Level::Warn)
            .add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }
    /// An alert (or a row whose alerts are all) acknowledged: still there, no longer loud.
    pub fn acknowledged(&self) -> Style {
        self.fg(17)
    }
    /// One token class (an index into [`CLASSES`]) in a stacked chart.
    pub fn class(&self, class: usize) -> Style {
        self.fg(18 + class.min(CLASSES.len() - 1))
    }
    /// What a full cell of the class is filled with: one block in colour, a distinct
    /// shade without.
    pub fn class_fill(&self, class: usize) -> char {
        if self.plain {
            PLAIN_FILLS[class.min(CLASSES.len() - 1)]
        } else {
            '█'
        }
    }
    /// The pace line of a budget across a timeline.
    pub fn budget_line(&self) -> Style {
        self.fg(23)
    }
}

/// The built-in names, for messages.
fn names() -> String {
    let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_theme_parses_and_sets_every_key() {
        for (name, text) in BUILTIN {
            let theme = Theme::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(theme.name, *name);
            let file: ThemeFile = toml::from_str(text).unwrap();
            assert!(file.base.is_none(), "{name} stands alone");
            for key in KEYS {
                assert!(file.colors.contains_key(key), "{name} lacks colors.{key}");
            }
        }
    }

    /// Severity must be readable from colour alone in every built-in theme: ok, warn and
    /// critical (and the alerts' info, warn and critical) differ from each other and from
    /// plain text, a critical row is not mistaken for the selection, and no pair of
    /// foreground and background is one colour.
    #[test]
    fn every_builtin_theme_tells_severities_apart() {
        for (name, _) in BUILTIN {
            let theme = Theme::named(name).unwrap();
            let levels = [Level::Ok, Level::Warn, Level::Critical].map(|l| theme.level(l).fg);
            let alerts =
                [Severity::Info, Severity::Warn, Severity::Critical].map(|s| theme.alert(s).fg);
            for colours in [levels, alerts] {
                for (i, a) in colours.iter().enumerate() {
                    assert!(a.is_some(), "{name}: a severity without a colour");
                    assert_ne!(*a, theme.text().fg, "{name}: severity {i} is plain text");
                    assert_ne!(*a, theme.muted().fg, "{name}: severity {i} is muted");
                    for b in &colours[i + 1..] {
                        assert_ne!(a, b, "{name}: two severities share {a:?}");
                    }
                }
            }
            let critical = theme.alert_row(Severity::Critical);
            let selected = theme.row(true);
            for (what, style) in [("critical row", critical), ("selection", selected)] {
                assert!(style.bg.is_some(), "{name}: {what} has no background");
                assert_ne!(style.fg, style.bg, "{name}: {what} is one colour");
            }
            assert_ne!(
                critical.bg, selected.bg,
                "{name}: critical row looks selected"
            );
            assert_ne!(
                theme.acknowledged().fg,
                theme.alert(Severity::Critical).fg,
                "{name}: an acknowledged alert still looks critical"
            );
        }
    }

    #[test]
    fn a_partial_theme_overrides_only_its_keys() {
        let light = Theme::named("light").unwrap();
        let mine = Theme::parse("base = \"light\"\n[colors]\nok = \"#00ff00\"\n").unwrap();
        assert_eq!(mine.level(Level::Ok).fg, Some(Color::Rgb(0, 255, 0)));
        assert_ne!(light.level(Level::Ok).fg, mine.level(Level::Ok).fg);
        for other in [
            mine.text(),
            mine.muted(),
            mine.row(true),
            mine.level(Level::Warn),
        ] {
            assert!(
                [
                    light.text(),
                    light.muted(),
                    light.row(true),
                    light.level(Level::Warn)
                ]
                .contains(&other)
            );
        }
        assert_eq!(mine.name, "light");
    }

    #[test]
    fn a_theme_without_base_must_set_every_key() {
        let err = Theme::parse("[colors]\nok = \"green\"\n").unwrap_err();
        assert!(err.contains("colors.text is missing"), "{err}");
    }

    #[test]
    fn unknown_keys_and_bad_colours_are_named() {
        let err = Theme::parse("base = \"default\"\n[colors]\nsparkles = \"red\"\n").unwrap_err();
        assert!(err.contains("unknown key colors.sparkles"), "{err}");
        let err = Theme::parse("base = \"default\"\nsparkles = 1\n").unwrap_err();
        assert!(err.contains("sparkles"), "{err}");
        let bad = DEFAULT_THEME.replace("ok = \"green\"", "ok = \"greenish\"");
        let err = Theme::parse(&bad).unwrap_err();
        assert!(
            err.contains("colors.ok") && err.contains("greenish"),
            "{err}"
        );
        let err = Theme::parse("base = \"neon\"\n").unwrap_err();
        assert!(
            err.contains("neon") && err.contains("high-contrast"),
            "{err}"
        );
    }

    #[test]
    fn a_theme_file_names_itself_in_errors() {
        let dir = std::env::temp_dir().join(format!("tokentop-theme-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("mine.toml");
        std::fs::write(&path, "base = \"light\"\n[colors]\nglitter = \"red\"\n").unwrap();
        let err = Theme::load(path.to_str(), false).unwrap_err();
        assert!(
            err.contains("mine.toml") && err.contains("glitter"),
            "{err}"
        );
        assert!(Theme::load(Some("colorblind"), false).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn no_color_keeps_only_modifiers() {
        let theme = Theme::load(Some("default"), true).unwrap();
        for style in [
            theme.text(),
            theme.row(true),
            theme.alert_row(Severity::Critical),
            theme.header(),
        ] {
            assert_eq!((style.fg, style.bg), (None, None));
        }
        assert!(theme.row(true).add_modifier.contains(Modifier::REVERSED));
    }
}
