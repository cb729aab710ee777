//! Taking in one event: clamp its time to the clock, turn a running total into growth,
//! leave out an implausible cost, fold models past the cap, then apply what the dedup
//! table decides for the copy (counted, replaced, its tool calls, finished).

use std::sync::Arc;

use super::calls::Site;
use super::dedup::{Decision, Recharge};
use super::episodes::RecordAt;
use super::identity::{IdentityStats, Ledger, Sign};
use super::recent::{CostSource, RecentEvent};
use super::tally::Fields;
use super::units::unit_key;
use super::usage::Usage;
use super::{
    Engine, MAX_IDENTITIES, MAX_MODELS, MAX_SKEW_MS, MINUTE_MS, OTHER_IDENTITY, OTHER_MODEL,
};
use crate::event::{Event, ToolCall};
use crate::parse::plausible;

impl Engine {
    /// Cost of one event: the record's own cost, else the price table's; `None` = unpriced.
    pub(super) fn cost(&mut self, event: &Event) -> (Option<f64>, CostSource) {
        // Matching a model id as people write it can take several lookups: do it once
        // per model, up to the cap (so that its report row can name its entry).
        let unmemoized;
        let matched = match self.price_memo.get(event.model.as_str()) {
            Some(matched) => matched,
            None => {
                let matched = self
                    .prices
                    .resolve(&event.model)
                    .map(|(key, price)| (Arc::from(key), price.clone()));
                if self.price_memo.len() < MAX_MODELS {
                    self.price_memo
                        .entry(event.model.clone())
                        .or_insert(matched)
                } else {
                    unmemoized = matched;
                    &unmemoized
                }
            }
        };
        if event.flags.no_cost {
            return (Some(0.0), CostSource::Record);
        }
        if let Some(cost) = event.record_cost_usd {
            return (Some(cost), CostSource::Record);
        }
        match matched {
            Ok((key, price)) => (
                Some(price.cost(&event.tokens)),
                CostSource::Table(key.clone()),
            ),
            Err(reason) => (None, CostSource::Unpriced(*reason)),
        }
    }

    /// The shared copy of a model name.
    pub(super) fn model(&mut self, name: &str) -> Arc<str> {
        if let Some(model) = self.models.get(name) {
            return model.clone();
        }
        let model: Arc<str> = Arc::from(name);
        self.models.insert(model.clone());
        model
    }

    /// The row an event counts in: the first matching rule's name, else the raw identity.
    pub(super) fn identity_index(&mut self, event: &Event) -> usize {
        let rule_index = self.mapping.rule_for(event);
        let rule = rule_index.and_then(|r| self.mapping.rule(r));
        let mapped = rule.and_then(|r| r.name.as_deref());
        let key = mapped.unwrap_or(event.identity.as_str());
        if let Some(&i) = self.index.get(key) {
            return i;
        }
        let (name, rule) = if self.identities.len() >= MAX_IDENTITIES {
            self.stats.folded += 1;
            (OTHER_IDENTITY, None)
        } else {
            (key, rule)
        };
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.identities.len();
        let kind = rule.and_then(|r| r.kind).unwrap_or(event.identity_kind);
        let mut stats = IdentityStats::new(name, kind, event.format, event.time);
        stats.rule = rule.and(rule_index);
        let (team, rule_labels) = match rule {
            Some(r) => (r.team.as_deref(), r.labels.as_slice()),
            None => (None, &[][..]),
        };
        let team = team.or(event.attrs.team.as_deref());
        let labels = stats.labels(rule_labels);
        self.budgets.add_identity(i, name, team, &labels);
        self.policies.add_identity(i, name, team, &labels);
        self.identities.push(stats);
        self.index.insert(name.to_string(), i);
        i
    }

    /// Counts one event at its own time (or at most [`MAX_SKEW_MS`] past the clock).
    pub fn ingest(&mut self, event: &Event) {
        // A request left out as implausible leaves no trace but `ingest.implausible`.
        let ahead = self.now > 0 && event.time > self.now + MAX_SKEW_MS;
        let clamped;
        let event = if ahead {
            clamped = Event {
                time: self.now + MAX_SKEW_MS,
                ..event.clone()
            };
            &clamped
        } else {
            event
        };
        let at = RecordAt {
            origin: event.origin,
            line: event.line,
        };
        let mut exposer = None;
        if let Some(exposed) = &event.secrets {
            let who = self.identity_index(event);
            self.note_path(who, event);
            let name = &self.identities[who].name;
            // A secret printed twice in one record (a tool result and its copy in
            // `toolUseResult`) is one sighting.
            for (i, found) in exposed.found.iter().enumerate() {
                let again = exposed.found[..i]
                    .iter()
                    .any(|f| f.fingerprint == found.fingerprint);
                if !again {
                    self.exposures.see(who, name, found, event.time, at);
                }
            }
            exposer = Some(who);
        }
        if event.flags.no_usage {
            return;
        }
        let grown;
        let event = match &event.cumulative {
            Some(running) => {
                let tokens =
                    self.running_totals
                        .growth(running.series, &running.total, &event.tokens);
                grown = Event {
                    tokens,
                    ..event.clone()
                };
                &grown
            }
            None => event,
        };
        let (cost, cost_source) = self.cost(event);
        if cost.is_some_and(|c| !plausible::cost_is_plausible(c)) {
            self.stats.implausible += 1;
            return;
        }
        if ahead {
            self.stats.future += 1;
        }
        if let Some(running) = &event.cumulative {
            self.running_totals
                .take_in(running.series, &running.total, self.now);
        }
        self.stats.events += 1;
        let raw_model = event.model.as_str();
        let renamed;
        let event = if self.models.len() >= MAX_MODELS && !self.models.contains(&*event.model) {
            renamed = Event {
                model: OTHER_MODEL.into(),
                ..event.clone()
            };
            &renamed
        } else {
            event
        };
        let usage = Usage::of(event, cost);
        // Found once: past the identity cap, each lookup of a new name counts a fold.
        let who = exposer.unwrap_or_else(|| self.identity_index(event));
        let day = self.days.day(event.time);
        self.note_activity(who, event);

        let model = self.model(&event.model);
        let verdict = self
            .copies
            .take(event, &model, (who, day), &usage, self.now);
        match &verdict.decision {
            Decision::New => {
                self.apply(Sign::Add, who, event.time, day, &event.model, &usage);
                self.identities[who].apply_kind(Sign::Add, event.kind, &usage);
            }
            Decision::Replaces(old) => {
                self.stats.copies_merged += 1;
                self.apply(
                    Sign::Sub,
                    old.identity,
                    old.time,
                    old.day,
                    &old.model,
                    &old.usage,
                );
                self.identities[old.identity].apply_kind(Sign::Sub, old.kind, &old.usage);
                self.apply(Sign::Add, who, event.time, day, &event.model, &usage);
                self.identities[who].apply_kind(Sign::Add, event.kind, &usage);
                if let Some(recharge) = &verdict.recharge {
                    self.recharge_tools(who, recharge);
                }
            }
            Decision::Smaller | Decision::Seen => self.stats.copies_merged += 1,
        }
        for site in &verdict.moved {
            self.take_out_call(site);
        }
        if self.tally.is_some() || self.utc_days.is_some() || self.responses.is_some() {
            let id = &self.identities[who];
            let fields = Fields {
                identity: &id.name,
                raw_identity: &event.identity,
                team: id
                    .rule
                    .and_then(|r| self.mapping.rule(r))
                    .and_then(|r| r.team.as_deref())
                    .or(event.attrs.team.as_deref()),
                model: &event.model,
                raw_model,
                time: event.time,
                session: event.attrs.session.as_deref(),
                project: event.attrs.project.as_deref(),
            };
            let calls: Vec<_> = verdict.tools.iter().map(|t| t.call).collect();
            for tally in [&mut self.tally, &mut self.utc_days].into_iter().flatten() {
                tally.take(event.dedup_key, &verdict.decision, &fields, &usage, &calls);
            }
            if let Some(responses) = &mut self.responses {
                let (key, origin) = (event.dedup_key, event.origin);
                responses.take(key, &verdict.decision, &fields, &usage, &calls, origin);
            }
        }
        let (tally, utc_days) = (&mut self.tally, &mut self.utc_days);
        let responses = &mut self.responses;
        let let_go = self.copies.let_go(self.now, |key| {
            for tally in [&mut *tally, &mut *utc_days].into_iter().flatten() {
                tally.forget(key);
            }
            if let Some(responses) = responses.as_mut() {
                responses.forget(key);
            }
        });
        for done in let_go {
            self.record_distribution(&done, None);
        }

        // The list of recent events, unless none is kept (a report).
        if !self.no_recent {
            let key = event.dedup_key;
            // A larger copy under another identity (a resumed session) moves the entry there.
            let moved = match (&verdict.decision, key) {
                (Decision::Replaces(old), Some(key)) if old.identity != who => {
                    self.identities[old.identity].recent.take(key)
                }
                _ => None,
            };
            let new_tools = verdict.tools.iter().map(|t| t.call);
            let recent = &mut self.identities[who].recent;
            // A telemetry sum that carries nothing takes out what its response counted (a
            // Copilot sum whose calls count instead): the response is no longer one to list.
            let flags = event.flags;
            let nothing = flags.telemetry && flags.aggregate && usage.total_tokens() == 0;
            match verdict.decision {
                Decision::Replaces(_) if nothing && verdict.tools.is_empty() => {
                    if let Some(key) = key {
                        recent.take(key);
                    }
                }
                Decision::New | Decision::Replaces(_) => recent.upsert(
                    key,
                    RecentEvent::of(event, model, cost, cost_source),
                    new_tools,
                    moved,
                ),
                Decision::Smaller => recent.add_tools(key, new_tools),
                Decision::Seen => {}
            }
        }
        if !verdict.tools.is_empty() {
            let calls = Usage::tool_calls(verdict.tools.len() as u64);
            self.identities[who].apply(Sign::Add, event.time, day, &event.model, &calls);
            self.global
                .apply(Sign::Add, event.time, day, &event.model, &calls);
            for tool in &verdict.tools {
                self.note(|e| super::journal::Entry::ToolCall {
                    add: true,
                    identity: e.identities[who].name.clone(),
                    tool: tool.call.name.clone(),
                    mcp_server: tool.call.mcp_server.clone(),
                });
            }
            let warmup = i64::from(self.bursts.warmup_minutes) * MINUTE_MS;
            let id = &self.identities[who];
            // Past the cap on tools an identity keeps, new names fold and nothing is new.
            let room = id.tools.len() < super::identity::MAX_TOOLS;
            let warm = room && id.warm.warm_from(warmup).is_some_and(|w| event.time >= w);
            for tool in &verdict.tools {
                let call = tool.call;
                self.policies.call(who, call, event.time, at);
                let name = super::policy::tool_name(call);
                let unknown = !id.knows_tool(call, &name);
                if unknown && room {
                    self.known_tools.learn(&id.name, &name, event.time);
                }
                let new = warm
                    && unknown
                    && !self
                        .known_tools
                        .called_before(&id.name, call, &name, event.time);
                self.first_seen.call(who, &name, event.time, new, at);
            }
            let id = &mut self.identities[who];
            for tool in &verdict.tools {
                let call = tool.call;
                id.record_tool(
                    &call.name,
                    call.mcp_server.as_deref(),
                    event.time,
                    tool.share,
                );
            }
        }

        if let Some(done) = verdict.finished {
            self.record_distribution(&done, event.latency_ms);
        }
    }

    /// Takes a call counted from a log copy out of where it was counted: its telemetry
    /// counts it under the user instead (it is counted there as a new call).
    fn take_out_call(&mut self, site: &Site) {
        let call = Usage::tool_calls(1);
        let (who, time, day) = (site.identity, site.time, site.day);
        self.identities[who].apply(Sign::Sub, time, day, &site.model, &call);
        self.global.apply(Sign::Sub, time, day, &site.model, &call);
        self.identities[who].unrecord_tool(&site.name, time, site.share);
        let moved = ToolCall {
            id: None,
            name: site.name.clone(),
            mcp_server: site.mcp_server.clone(),
        };
        self.policies.uncall(who, &moved);
        self.first_seen
            .uncall(who, &super::policy::tool_name(&moved));
        self.note(|e| super::journal::Entry::ToolCall {
            add: false,
            identity: e.identities[who].name.clone(),
            tool: site.name.clone(),
            mcp_server: site.mcp_server.clone(),
        });
        for tally in [&mut self.tally, &mut self.utc_days].into_iter().flatten() {
            tally.drop_call(site.response, &site.name);
        }
        if let Some(responses) = &mut self.responses {
            responses.drop_call(site.response, &site.name, site.mcp_server.as_deref());
        }
    }

    /// A larger copy changed a response's cost: the tools already charged it follow.
    fn recharge_tools(&mut self, who: usize, recharge: &Recharge) {
        for (name, tool) in self.identities[who].tools.iter_mut() {
            if recharge.charged(name) {
                tool.cost_usd = (tool.cost_usd + recharge.diff).max(0.0);
            }
        }
    }

    /// An agent project's path, shown for a name that is not the path (Claude Code's
    /// dashed folder name, `gemini-cli:/path`): from its first record that names it, usage
    /// or not.
    fn note_path(&mut self, who: usize, event: &Event) {
        let id = &mut self.identities[who];
        if id.path.is_none()
            && event.format.agent().is_some()
            && id.name == event.identity
            && event.attrs.project.as_deref() != Some(event.identity.as_str())
        {
            id.path.clone_from(&event.attrs.project);
        }
    }

    /// First and last seen, raw fields, units, and a line for a minute whose baseline is
    /// already worked out (it is worked out again at the next `advance`).
    pub(super) fn note_activity(&mut self, who: usize, event: &Event) {
        let minute = event.time.div_euclid(MINUTE_MS);
        let id = &mut self.identities[who];
        if minute < self.now.div_euclid(MINUTE_MS) {
            id.detector.mark_stale();
        }
        if let Some(key) = unit_key(&event.attrs) {
            id.units.see(key, event.time);
        }
        id.last_seen = id.last_seen.max(event.time);
        id.first_seen = id.first_seen.min(event.time);
        id.warm.see(event.time);
        // Copies and the requests of one session mostly repeat the attributes: comparing
        // is cheaper than copying them again.
        if id.attrs != event.attrs {
            id.attrs.clone_from(&event.attrs);
        }
        self.note_path(who, event);
    }
}
