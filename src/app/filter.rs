//! The identity filter typed after `/`: words AND-ed together, each either a substring of
//! the identity's name or `field:value` (`team:`, `kind:`, `label:`, `model:`). Matching ignores case
//! and is by substring of what the table shows as well as the full value, so `kind:svc`
//! and `kind:svc-acct` (the KIND column's text) find service accounts as
//! `kind:service-account` does. The table's order applies it (`TableOrder`); views only
//! see the filtered order. The prompt filters as it is typed.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::engine::snapshot::IdentityRow;
use crate::event::IdentityKind;

/// One word of the filter.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Term {
    Name(String),
    Team(String),
    Kind(String),
    Label(String),
    Model(String),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// As typed, for the header.
    text: String,
    terms: Vec<Term>,
}

impl Filter {
    /// Parses what was typed; a word with an unknown field (or a colon in a name, as in
    /// `msg_1:req`) is a name substring.
    pub fn parse(text: &str) -> Filter {
        let terms = text
            .split_whitespace()
            .map(|word| {
                let lower = word.to_lowercase();
                match lower.split_once(':') {
                    Some(("team", v)) => Term::Team(v.to_string()),
                    Some(("kind", v)) => Term::Kind(v.to_string()),
                    Some(("label", v)) => Term::Label(v.to_string()),
                    Some(("model", v)) => Term::Model(v.to_string()),
                    _ => Term::Name(lower),
                }
            })
            .collect();
        Filter {
            text: text.trim().to_string(),
            terms,
        }
    }

    /// The filter as typed; empty when none is set.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn matches(&self, row: &IdentityRow) -> bool {
        // A name matches by what rules know it by and by what the table shows.
        let names = [Some(row.name.as_str()), row.display.as_deref()];
        let team = row.team.as_deref();
        self.matches_fields(&names, row.kind, team, &row.labels, &row.models)
    }

    fn matches_fields(
        &self,
        names: &[Option<&str>],
        kind: IdentityKind,
        team: Option<&str>,
        labels: &[String],
        models: &[Arc<str>],
    ) -> bool {
        let has = |text: &str, part: &str| text.to_lowercase().contains(part);
        self.terms.iter().all(|term| match term {
            Term::Name(part) => names.iter().flatten().any(|name| has(name, part)),
            Term::Kind(part) => has(kind.label(), part) || has(kind.short_label(), part),
            Term::Team(part) => team.is_some_and(|t| has(t, part)),
            Term::Label(part) => labels.iter().any(|l| has(l, part)),
            Term::Model(part) => models.iter().any(|m| has(m, part)),
        })
    }
}

impl super::App {
    /// The filter in effect.
    pub fn filter(&self) -> &Filter {
        &self.ordered_by.filter
    }

    /// What is being typed after `/`, while the prompt is open.
    pub fn prompt(&self) -> Option<&str> {
        self.prompt.as_deref()
    }

    /// `/`: opens the prompt with the filter in effect, to edit it.
    pub(super) fn open_prompt(&mut self) {
        self.prompt = Some(self.ordered_by.filter.text().to_string());
    }

    /// A key while the prompt is open: typing edits it and filters the table at once,
    /// Enter keeps the filter and closes the prompt, Esc clears the filter. Other keys are
    /// swallowed so that letters never act as commands.
    pub(super) fn edit_prompt(&mut self, key: KeyEvent) {
        let Some(text) = self.prompt.as_mut() else {
            return;
        };
        let filter = match key.code {
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                text.push(c);
                Filter::parse(text)
            }
            KeyCode::Backspace => {
                text.pop();
                Filter::parse(text)
            }
            KeyCode::Enter => {
                let kept = Filter::parse(text);
                self.prompt = None;
                kept
            }
            KeyCode::Esc => {
                self.prompt = None;
                Filter::default()
            }
            _ => return,
        };
        if filter != self.ordered_by.filter {
            self.ordered_by.filter = filter;
            self.arrange(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_anded_and_fields_match_by_substring() {
        let labels = vec!["prod".to_string(), "eu".to_string()];
        let agent = IdentityKind::Agent;
        let row = |f: &Filter| {
            f.matches_fields(
                &[Some("Billing-Bot")],
                agent,
                Some("payments"),
                &labels,
                &[],
            )
        };
        assert!(row(&Filter::parse("")));
        assert!(row(&Filter::parse("bill")));
        assert!(row(&Filter::parse("BOT team:pay kind:agent label:prod")));
        assert!(!row(&Filter::parse("bot team:search")));
        assert!(!row(&Filter::parse("kind:human")));
        assert!(!row(&Filter::parse("label:staging")));
        assert!(row(&Filter::parse("label:eu")));
        let no_team = Filter::parse("team:payments");
        assert!(!no_team.matches_fields(&[Some("x")], agent, None, &[], &[]));
        // An unknown field is part of a name.
        let name = [Some("msg_1:req_1")];
        assert!(Filter::parse("msg_1:req").matches_fields(&name, agent, None, &[], &[]));
        assert_eq!(Filter::parse("  a  b ").text(), "a  b");
        // A Claude Code project is found by its folder's name and by its path.
        let both = [Some("-home-dev-payments-api"), Some("~/dev/payments-api")];
        for typed in ["-home-dev-pay", "~/dev/pay", "dev/payments"] {
            assert!(
                Filter::parse(typed).matches_fields(&both, agent, None, &[], &[]),
                "{typed}"
            );
        }
    }

    /// The KIND column writes `svc-acct`: what is shown finds the row, as the full name does.
    #[test]
    fn kinds_match_by_the_columns_text_and_the_full_label() {
        let svc = IdentityKind::ServiceAccount;
        for typed in [
            "kind:svc",
            "kind:svc-acct",
            "kind:service-account",
            "kind:SVC",
        ] {
            assert!(
                Filter::parse(typed).matches_fields(&[Some("x")], svc, None, &[], &[]),
                "{typed}"
            );
        }
        let agent = IdentityKind::Agent;
        assert!(!Filter::parse("kind:svc").matches_fields(&[Some("x")], agent, None, &[], &[]));
    }
}
