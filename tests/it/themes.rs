//! Every theme reads: on xterm's default 16 colours (the palette most terminals start
//! from), the text, muted, ok, warn and critical colours on the terminal's background, the
//! selected row and a critical alert's row reach WCAG's contrast ratio for normal text,
//! 4.5:1. `reset` is the terminal's own colour: #000000 behind a dark theme and #ffffff
//! behind a light one, and the other of the two in front.

use std::path::Path;

use ratatui::style::Color;
use tokentop::engine::alerts::Severity;
use tokentop::theme::{BUILTIN, Level, Theme};

const WCAG_AA: f64 = 4.5;

/// xterm's default colours 0-15.
const XTERM_16: [(u8, u8, u8); 16] = [
    (0x00, 0x00, 0x00),
    (0xcd, 0x00, 0x00),
    (0x00, 0xcd, 0x00),
    (0xcd, 0xcd, 0x00),
    (0x00, 0x00, 0xee),
    (0xcd, 0x00, 0xcd),
    (0x00, 0xcd, 0xcd),
    (0xe5, 0xe5, 0xe5),
    (0x7f, 0x7f, 0x7f),
    (0xff, 0x00, 0x00),
    (0x00, 0xff, 0x00),
    (0xff, 0xff, 0x00),
    (0x5c, 0x5c, 0xff),
    (0xff, 0x00, 0xff),
    (0x00, 0xff, 0xff),
    (0xff, 0xff, 0xff),
];

/// Themes for light backgrounds (by name); every other is drawn on a dark one.
fn is_light(name: &str) -> bool {
    name == "light"
}

/// A colour as xterm shows it; `reset` as the terminal's default, `front` or behind.
fn rgb(color: Color, light: bool, front: bool) -> (u8, u8, u8) {
    let index = |i: u8| -> (u8, u8, u8) {
        match i {
            0..16 => XTERM_16[usize::from(i)],
            16..232 => {
                let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
                let i = i - 16;
                (level(i / 36), level(i / 6 % 6), level(i % 6))
            }
            _ => {
                let grey = 8 + 10 * (i - 232);
                (grey, grey, grey)
            }
        }
    };
    match color {
        Color::Reset => {
            if light != front {
                (0xff, 0xff, 0xff)
            } else {
                (0, 0, 0)
            }
        }
        Color::Black => index(0),
        Color::Red => index(1),
        Color::Green => index(2),
        Color::Yellow => index(3),
        Color::Blue => index(4),
        Color::Magenta => index(5),
        Color::Cyan => index(6),
        Color::Gray => index(7),
        Color::DarkGray => index(8),
        Color::LightRed => index(9),
        Color::LightGreen => index(10),
        Color::LightYellow => index(11),
        Color::LightBlue => index(12),
        Color::LightMagenta => index(13),
        Color::LightCyan => index(14),
        Color::White => index(15),
        Color::Indexed(i) => index(i),
        Color::Rgb(r, g, b) => (r, g, b),
    }
}

/// WCAG 2 relative luminance.
fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// Each pair below 4.5:1, named, with its ratio.
fn failures(name: &str, theme: &Theme) -> Vec<String> {
    let light = is_light(name);
    let fg = |c: Option<Color>| rgb(c.unwrap_or(Color::Reset), light, true);
    let bg = |c: Option<Color>| rgb(c.unwrap_or(Color::Reset), light, false);
    let background = bg(None);
    let mut pairs = vec![
        ("text", fg(theme.text().fg), background),
        ("muted", fg(theme.muted().fg), background),
        ("ok", fg(theme.level(Level::Ok).fg), background),
        ("warn", fg(theme.level(Level::Warn).fg), background),
        ("critical", fg(theme.level(Level::Critical).fg), background),
    ];
    let selected = theme.row(true);
    pairs.push(("selected", fg(selected.fg), bg(selected.bg)));
    let alert = theme.alert_row(Severity::Critical);
    pairs.push(("alert", fg(alert.fg), bg(alert.bg)));
    pairs
        .into_iter()
        .map(|(what, f, b)| (what, contrast(f, b)))
        .filter(|&(_, ratio)| ratio < WCAG_AA)
        .map(|(what, ratio)| format!("{name}: {what} {ratio:.2}:1"))
        .collect()
}

#[test]
fn the_palette_and_the_ratio_are_wcag_s() {
    assert!((contrast((0, 0, 0), (0xff, 0xff, 0xff)) - 21.0).abs() < 1e-9);
    assert_eq!(rgb(Color::Indexed(95), false, true), (0x87, 0x5f, 0x5f));
    assert_eq!(rgb(Color::Indexed(244), false, true), (0x80, 0x80, 0x80));
    // Light grey on white, the light theme's muted text before: far from readable.
    assert!(contrast(rgb(Color::Gray, true, true), (0xff, 0xff, 0xff)) < 1.5);
}

#[test]
fn every_theme_reaches_4_5_to_1_on_xterm_s_colours() {
    let mut themes: Vec<(String, Theme)> = BUILTIN
        .iter()
        .map(|(name, text)| (name.to_string(), Theme::parse(text).expect(name)))
        .collect();
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes");
    for entry in std::fs::read_dir(&folder).expect("themes/") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("theme file");
        let theme = Theme::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        themes.push((theme.name.clone(), theme));
    }
    assert!(themes.len() >= 8, "the built-in themes and their files");
    let failed: Vec<String> = themes
        .iter()
        .flat_map(|(name, theme)| failures(name, theme))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
}
