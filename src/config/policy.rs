//! `[[policy]]`: the tools identities may call. Each names whom it covers (`identity`,
//! `team` or `label`, at most one; none covers everyone), tools it denies (`deny`, globs),
//! or the only tools it allows (`allow`), and how loud a call outside it is (`severity`).

use serde::Deserialize;
use toml::Spanned;

use super::file::Located;
use crate::engine::alerts::Severity;
use crate::engine::mapping::Pattern;
use crate::engine::policy::{PolicyScope, PolicySpec};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PolicyShape {
    name: Spanned<String>,
    identity: Option<Spanned<String>>,
    team: Option<Spanned<String>>,
    label: Option<Spanned<String>>,
    deny: Option<Spanned<Vec<String>>>,
    allow: Option<Spanned<Vec<String>>>,
    severity: Option<Spanned<String>>,
}

pub(super) fn policies(shapes: Vec<Spanned<PolicyShape>>) -> Result<Vec<PolicySpec>, Located> {
    let mut out: Vec<PolicySpec> = Vec::with_capacity(shapes.len());
    for spanned in shapes {
        let table = spanned.span().start;
        let spec = policy(spanned.into_inner(), table)?;
        if out.iter().any(|p| p.name == spec.name) {
            return Err(Located {
                offset: table,
                message: format!("policy {:?}: another policy has this name", spec.name),
            });
        }
        out.push(spec);
    }
    Ok(out)
}

fn policy(p: PolicyShape, table: usize) -> Result<PolicySpec, Located> {
    let name = p.name.get_ref().trim().to_string();
    let fail = |offset: usize, what: &str| Located {
        offset,
        message: format!("policy {name:?}: {what}"),
    };
    if name.is_empty() {
        return Err(fail(p.name.span().start, "the name is empty"));
    }
    let pattern = |s: &Spanned<String>| Pattern::new(s.get_ref().clone());
    let scopes: Vec<(&str, usize, PolicyScope)> = [
        p.identity
            .as_ref()
            .map(|s| ("identity", s, PolicyScope::Identity(pattern(s)))),
        p.team
            .as_ref()
            .map(|s| ("team", s, PolicyScope::Team(pattern(s)))),
        p.label
            .as_ref()
            .map(|s| ("label", s, PolicyScope::Label(pattern(s)))),
    ]
    .into_iter()
    .flatten()
    .map(|(key, s, scope)| (key, s.span().start, scope))
    .collect();
    let scope = match scopes.as_slice() {
        [] => PolicyScope::Everyone,
        [(_, _, scope)] => scope.clone(),
        [(first, _, _), (second, offset, _), ..] => {
            let what = format!("{first} and {second} are both set: a policy covers one of them");
            return Err(fail(*offset, &what));
        }
    };
    let globs = |list: Option<Spanned<Vec<String>>>, key: &str| match list {
        None => Ok(None),
        Some(list) if list.get_ref().iter().any(|g| g.trim().is_empty()) => Err(fail(
            list.span().start,
            &format!("{key} has an empty tool name"),
        )),
        Some(list) => Ok(Some(
            list.into_inner().into_iter().map(Pattern::new).collect(),
        )),
    };
    let deny: Option<Vec<Pattern>> = globs(p.deny, "deny")?;
    let allow = globs(p.allow, "allow")?;
    if deny.as_ref().is_none_or(Vec::is_empty) && allow.is_none() {
        let what = "no tools named: set deny = [\"Bash\", ...] or allow = [\"Read\", ...]";
        return Err(fail(table, what));
    }
    let severity = match &p.severity {
        None => Severity::Critical,
        Some(s) => match s.get_ref().as_str() {
            "crit" | "critical" => Severity::Critical,
            "warn" => Severity::Warn,
            "info" => Severity::Info,
            other => {
                let what = format!(
                    "severity = {:?} is not \"crit\", \"warn\" or \"info\"",
                    crate::sanitize::sanitize(other, 40)
                );
                return Err(fail(s.span().start, &what));
            }
        },
    };
    Ok(PolicySpec {
        name,
        scope,
        deny: deny.unwrap_or_default(),
        allow,
        severity,
    })
}
