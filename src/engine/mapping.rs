//! Identity mapping: config rules that give raw ids (an API key id, a project folder, a
//! user) a display name, a kind, a team and labels. The engine keys its rows by the mapped
//! name, so several raw ids can be folded into one row on purpose.

use serde::Serialize;

use super::Map;
use crate::event::{Event, IdentityKind};

/// A value to compare with: exact text, or a glob where `*` is any run of characters
/// (including none) and `?` is one character. Nothing else is special, so ids with
/// brackets or dots need no escaping.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Pattern(String);

impl Pattern {
    pub fn new(text: impl Into<String>) -> Self {
        Pattern(text.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_glob(&self) -> bool {
        self.0.contains(['*', '?'])
    }

    pub fn matches(&self, text: &str) -> bool {
        if !self.is_glob() {
            return self.0 == text;
        }
        let pattern: Vec<char> = self.0.chars().collect();
        let text: Vec<char> = text.chars().collect();
        glob_match(&pattern, &text)
    }
}

/// Iterative wildcard matching with one backtrack point (the last `*`): linear in
/// practice, never exponential, whatever the pattern.
fn glob_match(pattern: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// A raw field of an event that a rule can match on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawField {
    ApiKeyId,
    User,
    Project,
    Session,
    Agent,
    /// An Anthropic workspace: provider usage only, no log carries one.
    Workspace,
    /// The parser's identity: a Claude Code project folder, a Codex cwd, the own schema's
    /// `identity`, a wrapper's key id.
    Identity,
}

impl RawField {
    pub const ALL: [RawField; 7] = [
        RawField::ApiKeyId,
        RawField::User,
        RawField::Project,
        RawField::Session,
        RawField::Agent,
        RawField::Workspace,
        RawField::Identity,
    ];

    fn of(self, event: &Event) -> Option<&str> {
        let a = &event.attrs;
        match self {
            RawField::ApiKeyId => a.api_key_id.as_deref(),
            RawField::User => a.user.as_deref(),
            RawField::Project => a.project.as_deref(),
            RawField::Session => a.session.as_deref(),
            RawField::Agent => a.agent.as_deref(),
            RawField::Workspace => None,
            RawField::Identity => Some(&event.identity),
        }
    }
}

/// One `[[identity]]` rule: every condition must hold (a missing field never matches).
#[derive(Clone, Debug, PartialEq)]
pub struct IdentityRule {
    pub conditions: Vec<(RawField, Pattern)>,
    /// The row's name; `None` keeps the raw identity (a rule that only adds a team).
    pub name: Option<String>,
    pub kind: Option<IdentityKind>,
    pub team: Option<String>,
    pub labels: Vec<String>,
}

impl IdentityRule {
    /// Whether every condition holds on the fields `of` gives (an event's, or a provider
    /// bucket's).
    fn matches<'a>(&self, of: impl Fn(RawField) -> Option<&'a str>) -> bool {
        self.conditions
            .iter()
            .all(|(field, pattern)| of(*field).is_some_and(|v| pattern.matches(v)))
    }
}

/// Past this many remembered decisions the memo starts over: ids such as sessions can be
/// unbounded, the memo must not be.
const MEMO_LIMIT: usize = 65_536;

/// The rules and a memo of their decisions by the fields they read, so that a rule list
/// costs one hash lookup per event rather than a glob match per rule.
#[derive(Clone, Debug, Default)]
pub struct Mapping {
    rules: Vec<IdentityRule>,
    /// The fields some rule reads: the memo's key is made of these only.
    read: Vec<RawField>,
    memo: Map<Box<str>, Option<u32>>,
    key: String,
}

impl Mapping {
    pub fn new(rules: Vec<IdentityRule>) -> Self {
        let read = RawField::ALL
            .into_iter()
            .filter(|f| rules.iter().any(|r| r.conditions.iter().any(|c| c.0 == *f)))
            .collect();
        Mapping {
            rules,
            read,
            memo: Map::default(),
            key: String::new(),
        }
    }

    pub fn rule(&self, index: u32) -> Option<&IdentityRule> {
        self.rules.get(index as usize)
    }

    /// The index of the first rule that matches the event.
    pub fn rule_for(&mut self, event: &Event) -> Option<u32> {
        if self.rules.is_empty() {
            return None;
        }
        self.key.clear();
        for field in &self.read {
            // A unit separator between fields, a NUL for a missing one: no two events with
            // different fields share a key.
            match field.of(event) {
                Some(v) => self.key.push_str(v),
                None => self.key.push('\0'),
            }
            self.key.push('\u{1f}');
        }
        if let Some(&decision) = self.memo.get(self.key.as_str()) {
            return decision;
        }
        let decision = self
            .rules
            .iter()
            .position(|r| r.matches(|f| f.of(event)))
            .map(|i| i as u32);
        if self.memo.len() >= MEMO_LIMIT {
            self.memo.clear();
        }
        self.memo.insert(self.key.as_str().into(), decision);
        decision
    }

    /// The index of the first rule that matches the fields `of` gives: provider buckets,
    /// which are few, so no memo.
    pub fn rule_for_fields<'a>(&self, of: impl Fn(RawField) -> Option<&'a str>) -> Option<u32> {
        self.rules
            .iter()
            .position(|r| r.matches(&of))
            .map(|i| i as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_stars_and_single_characters() {
        let p = Pattern::new("key_prod_*");
        assert!(p.matches("key_prod_") && p.matches("key_prod_web"));
        assert!(!p.matches("key_dev_web"));
        let p = Pattern::new("*-api?");
        assert!(p.matches("-home-dev-payments-api2"));
        assert!(!p.matches("-home-dev-payments-api"));
        assert!(Pattern::new("a*b*c").matches("aXbYbZc"));
        assert!(!Pattern::new("a*b*c").matches("aXbYbZ"));
        assert!(Pattern::new("*").matches(""));
        assert!(Pattern::new("é?").matches("éè"), "characters, not bytes");
        let exact = Pattern::new("svc[1].x");
        assert!(!exact.is_glob() && exact.matches("svc[1].x"));
    }
}
