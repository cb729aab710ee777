//! What the monitor and `serve` read, started in one place: stdin, followed paths or the
//! demo, the provider poller with its state store, and the OTLP receiver, all into the
//! engine's one channel.

use std::sync::Arc;

use crate::demo;
use crate::engine::Engine;
use crate::engine::providers::kept_from;
use crate::parse::provider::{Provider, ProviderUpdate, Width};
use crate::secrets::Scanner;
use crate::source::follow::{self, FollowOptions, Follower};
use crate::source::health::SourceHealth;
use crate::source::origin::Origins;
use crate::source::provider::http::{AdminKey, RetryPolicy, tokio_sleeper};
use crate::source::provider::{ProviderSpec, poll};
use crate::source::{Feed, otlp, stdin};
use crate::state::Store;

use super::keeper::{Kept, restore};
use super::{Input, Readers, wall_clock};

/// The providers to poll and their keys: from the environment, or `--demo`'s built-in
/// provider with a key of its own.
fn polled(
    demo: bool,
    specs: Vec<ProviderSpec>,
) -> std::io::Result<Vec<(ProviderSpec, Option<AdminKey>)>> {
    if demo {
        let mock =
            demo::mock_provider::spawn(demo::mock_provider::Mock::new(wall_clock()), wall_clock)?;
        let demo_spec = |provider, url: String| {
            let spec = ProviderSpec {
                url,
                ..ProviderSpec::new(provider)
            };
            (spec, Some(AdminKey::new("demo-admin-key".to_string())))
        };
        return Ok(vec![
            demo_spec(Provider::OpenAi, format!("{}/v1", mock.base)),
            demo_spec(Provider::Anthropic, mock.base.clone()),
        ]);
    }
    Ok(specs.into_iter().map(|s| (s.clone(), s.key())).collect())
}

/// Polls the providers into the engine's channel, starting from what the state store
/// kept and keeping each update there. A store that fails to keep one says so among the
/// sources, once; polling goes on.
fn spawn_poller(
    jobs: Vec<(ProviderSpec, Option<AdminKey>)>,
    store: Option<Store>,
    tx: std::sync::mpsc::SyncSender<Feed>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let now = wall_clock();
    let (restored, persist): (Vec<ProviderUpdate>, poll::Persist) = match store {
        None => (Vec::new(), Box::new(|_| {})),
        Some(mut store) => {
            let restored = store.load(kept_from(Width::Day, now)).unwrap_or_else(|e| {
                let _ = tx.send(Feed::Health(vec![store_health(&e.to_string())]));
                Vec::new()
            });
            let warn = tx.clone();
            let mut warned = false;
            let persist = Box::new(move |update: &ProviderUpdate| {
                if let Err(e) = store.save(update)
                    && !std::mem::replace(&mut warned, true)
                {
                    let _ = warn.try_send(Feed::Health(vec![store_health(&e.to_string())]));
                }
            });
            (restored, persist)
        }
    };
    let polling = poll::Polling {
        jobs,
        clock: wall_clock,
        policy: RetryPolicy::default(),
        sleeper: tokio_sleeper(),
    };
    poll::spawn_with(polling, tx, restored, persist)
}

/// The state store as a source in the sources view: what went wrong with it.
pub(super) fn store_health(problem: &str) -> SourceHealth {
    SourceHealth {
        last_error: Some(problem.to_string()),
        ..SourceHealth::new(STORE_SOURCE)
    }
}

/// How the state store is named among the sources.
const STORE_SOURCE: &str = "state store";

/// Everything the engine reads, as the monitor and `serve` take it.
pub struct Sources {
    pub input: Input,
    pub follow: FollowOptions,
    /// Provider usage and cost APIs to poll beside the logs.
    pub providers: Vec<ProviderSpec>,
    /// What was fetched from the providers, the tools identities called, the secrets they
    /// exposed and the findings acknowledged in earlier runs (`None`: not kept).
    pub state: Option<Store>,
    /// Why no state store is kept although one was wanted, said among the sources.
    pub state_warning: Option<String>,
    /// The OTLP receiver, bound (`--otlp`).
    pub otlp: Option<otlp::Receiver>,
    /// Scans the logs' records for secrets (`None`: `[secrets] enabled = false`).
    pub scanner: Option<Arc<Scanner>>,
}

/// Starts every source of `sources` into `tx`: stdin, the followed paths (whose lines
/// `origins` learns) or the demo, the provider poller, for which `engine` keeps cost by
/// UTC day, and the OTLP receiver; first, `engine` takes the tools and secrets known from
/// the state store. Returns the reader threads, to be watched, and what the store kept.
pub fn start_sources(
    sources: Sources,
    origins: &Origins,
    engine: &mut Engine,
    tx: &std::sync::mpsc::SyncSender<Feed>,
) -> std::io::Result<(Readers, Kept)> {
    let mut readers = Readers::default();
    let demo = matches!(sources.input, Input::Demo);
    let polls = demo || !sources.providers.is_empty();
    let (poller_store, kept) = match sources.state {
        None => (None, Kept::default()),
        // Before any reader fills the channel, so that a warning finds room in it.
        Some(store) if polls => {
            // The poller keeps its connection; the keeper writes on a second one (WAL
            // lets both write the file in turn).
            match Store::open(store.path()) {
                Ok(second) => (Some(store), restore(second, engine, tx)),
                Err(e) => {
                    let _ = tx.try_send(Feed::Health(vec![store_health(&e.to_string())]));
                    (Some(store), Kept::default())
                }
            }
        }
        Some(store) => (None, restore(store, engine, tx)),
    };
    match sources.input {
        Input::Demo => {
            readers.watch(demo::spawn(tx.clone(), wall_clock, origins.clone())?);
        }
        Input::Paths(specs) => {
            for spec in specs.iter().filter(|s| s.is_stream()) {
                let scanner = sources.scanner.clone();
                readers.watch(stdin::spawn(spec, scanner, tx.clone(), wall_clock)?);
            }
            if specs.iter().any(|s| !s.is_stream()) {
                readers.watch(follow::spawn(
                    Follower::new(specs, origins.clone()).scanning(sources.scanner.clone()),
                    tx.clone(),
                    sources.follow,
                )?);
            }
        }
    }
    let jobs = polled(demo, sources.providers)?;
    if !jobs.is_empty() {
        // Reconciliation sets the providers' bills against logged cost by identity and UTC day.
        engine.keep_utc_days();
        readers.watch(spawn_poller(jobs, poller_store, tx.clone())?);
    }
    if let Some(receiver) = sources.otlp {
        readers.watch(receiver.spawn(tx.clone(), wall_clock)?);
    }
    if let Some(warning) = sources.state_warning {
        tx.send(Feed::Health(vec![store_health(&warning)]))
            .map_err(|_| std::io::Error::other("the engine's channel closed"))?;
    }
    Ok((readers, kept))
}
