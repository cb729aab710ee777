//! Provider updates in the store, kept as the ledger keeps them: buckets by (provider,
//! family, width) and start, and every slot read with when it was read. Saving replaces
//! what its range held; loading gives back updates that rebuild the same ledger.

use std::collections::BTreeMap;

use rusqlite::types::Type;
use rusqlite::{Row, Transaction, TransactionBehavior, params};

use super::{Store, StoreError};
use crate::engine::providers::kept_from;
use crate::event::{TimeMs, Tokens};
use crate::parse::provider::{Family, Provider, ProviderBucket, ProviderUpdate, Report, Width};

const INSERT_BUCKET: &str = "INSERT INTO provider_bucket (provider, family, width, start, end, \
    report, api_key_id, project, user, model, service_tier, input, cache_read, cache_write_5m, \
    cache_write_1h, output, reasoning, requests, billed_usd) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)";

const UPSERT_SLOT: &str = "INSERT INTO provider_slot (provider, family, width, start, read_at) \
    VALUES (?1, ?2, ?3, ?4, ?5) \
    ON CONFLICT (provider, family, width, start) DO UPDATE SET read_at = excluded.read_at";

const SELECT_BUCKETS: &str = "SELECT provider, family, width, start, end, report, api_key_id, \
    project, user, model, service_tier, input, cache_read, cache_write_5m, cache_write_1h, \
    output, reasoning, requests, billed_usd FROM provider_bucket WHERE start >= ?1 \
    ORDER BY provider, family, width, start, id";

/// One (provider, family, width): the ledger's key for a series.
type Series = (Provider, Family, Width);

impl Store {
    /// Keeps one poll's answer in place of what was stored for its range, in one
    /// transaction, and forgets what the ledger forgets as of when it was read.
    pub fn save(&mut self, update: &ProviderUpdate) -> Result<(), StoreError> {
        let saved = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .and_then(|tx| {
                replace(&tx, update)?;
                let freed = forget(&tx, update.fetched_at)?;
                tx.commit()?;
                Ok(freed)
            });
        match saved {
            Ok(0) => Ok(()),
            Ok(_) => self.reclaim(),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Forgets every slot and bucket the ledger forgets as of `now`.
    pub fn forget(&mut self, now: TimeMs) -> Result<(), StoreError> {
        let freed = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .and_then(|tx| {
                let freed = forget(&tx, now)?;
                tx.commit()?;
                Ok(freed)
            })
            .map_err(|e| self.error(e))?;
        if freed > 0 { self.reclaim() } else { Ok(()) }
    }

    /// Updates which, applied in order to an empty ledger, rebuild what the saved ones built
    /// for the slots starting at or after `since`: one per run of adjacent slots of a series
    /// read at the same time, with the buckets starting in it.
    pub fn load(&self, since: TimeMs) -> Result<Vec<ProviderUpdate>, StoreError> {
        self.read_updates(since).map_err(|e| self.error(e))
    }

    fn read_updates(&self, since: TimeMs) -> rusqlite::Result<Vec<ProviderUpdate>> {
        let mut updates: Vec<ProviderUpdate> = Vec::new();
        let mut slots = self.conn.prepare(
            "SELECT provider, family, width, start, read_at FROM provider_slot \
             WHERE start >= ?1 ORDER BY provider, family, width, start",
        )?;
        let mut rows = slots.query([since])?;
        while let Some(row) = rows.next()? {
            let key = series(row)?;
            let (start, read_at): (TimeMs, TimeMs) = (row.get(3)?, row.get(4)?);
            let (provider, family, width) = key;
            match updates.last_mut() {
                Some(u)
                    if (u.provider, u.family, u.width) == key
                        && u.range.1 == start
                        && u.fetched_at == read_at =>
                {
                    u.range.1 = start + width.ms();
                }
                _ => updates.push(ProviderUpdate {
                    provider,
                    family,
                    width,
                    range: (start, start + width.ms()),
                    fetched_at: read_at,
                    buckets: Vec::new(),
                }),
            }
        }
        // Each bucket joins the update whose range holds its start; ranges never overlap.
        let by_start: BTreeMap<(Series, TimeMs), usize> = updates
            .iter()
            .enumerate()
            .map(|(i, u)| (((u.provider, u.family, u.width), u.range.0), i))
            .collect();
        let mut buckets = self.conn.prepare(SELECT_BUCKETS)?;
        let mut rows = buckets.query([since])?;
        while let Some(row) = rows.next()? {
            let key = series(row)?;
            let bucket = bucket(row, key.0)?;
            let held = by_start
                .range(..=(key, bucket.start))
                .next_back()
                .map(|(_, &i)| i)
                .filter(|&i| {
                    let u = &updates[i];
                    (u.provider, u.family, u.width) == key && bucket.start < u.range.1
                });
            // A bucket outside every slot read since `since` is not part of what was asked.
            if let Some(i) = held {
                updates[i].buckets.push(bucket);
            }
        }
        Ok(updates)
    }

    /// Hands pages freed by forgetting back to the file system.
    fn reclaim(&mut self) -> Result<(), StoreError> {
        self.conn
            .execute_batch("PRAGMA incremental_vacuum")
            .map_err(|e| self.error(e))
    }
}

/// The ledger's own replacement, in SQL: bills are kept by day whatever width they came in.
fn replace(tx: &Transaction, u: &ProviderUpdate) -> rusqlite::Result<()> {
    let width = match u.family {
        Family::Cost => Width::Day,
        Family::Usage => u.width,
    };
    let key = (u.provider.name(), u.family.name(), width.param());
    let (start, end) = u.range;
    tx.execute(
        "DELETE FROM provider_bucket WHERE provider = ?1 AND family = ?2 AND width = ?3 \
         AND start >= ?4 AND start < ?5",
        params![key.0, key.1, key.2, start, end],
    )?;
    let mut insert = tx.prepare_cached(INSERT_BUCKET)?;
    for b in u.buckets.iter().filter(|b| (start..end).contains(&b.start)) {
        let t = &b.tokens;
        insert.execute(params![
            key.0,
            key.1,
            key.2,
            b.start,
            b.end,
            report_name(b.report),
            b.api_key_id,
            b.project,
            b.user,
            b.model,
            b.service_tier,
            count(t.input),
            count(t.cache_read),
            count(t.cache_write_5m),
            count(t.cache_write_1h),
            count(t.output),
            count(t.reasoning),
            b.requests.map(count),
            b.billed_usd,
        ])?;
    }
    let mut upsert = tx.prepare_cached(UPSERT_SLOT)?;
    let mut slot = width.floor(start);
    while slot < end {
        upsert.execute(params![key.0, key.1, key.2, slot, u.fetched_at])?;
        slot += width.ms();
    }
    Ok(())
}

/// Deletes, width by width, what [`kept_from`] no longer keeps; returns the rows deleted.
fn forget(tx: &Transaction, now: TimeMs) -> rusqlite::Result<usize> {
    let mut deleted = 0;
    for width in Width::ALL {
        let from = kept_from(width, now);
        for table in ["provider_slot", "provider_bucket"] {
            deleted += tx.execute(
                &format!("DELETE FROM {table} WHERE width = ?1 AND start < ?2"),
                params![width.param(), from],
            )?;
        }
    }
    Ok(deleted)
}

/// Counts above what SQLite holds (never seen) are kept as its largest integer.
fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn series(row: &Row) -> rusqlite::Result<Series> {
    Ok((
        named(row, 0, |s| {
            [Provider::OpenAi, Provider::Anthropic]
                .into_iter()
                .find(|p| p.name() == s)
        })?,
        named(row, 1, |s| {
            [Family::Usage, Family::Cost]
                .into_iter()
                .find(|f| f.name() == s)
        })?,
        named(row, 2, Width::from_param)?,
    ))
}

fn bucket(row: &Row, provider: Provider) -> rusqlite::Result<ProviderBucket> {
    Ok(ProviderBucket {
        provider,
        report: named(row, 5, |s| {
            [Report::Usage, Report::Cost, Report::ClaudeCode]
                .into_iter()
                .find(|r| report_name(*r) == s)
        })?,
        start: row.get(3)?,
        end: row.get(4)?,
        api_key_id: row.get(6)?,
        project: row.get(7)?,
        user: row.get(8)?,
        model: row.get(9)?,
        service_tier: row.get(10)?,
        tokens: Tokens {
            input: row.get(11)?,
            cache_read: row.get(12)?,
            cache_write_5m: row.get(13)?,
            cache_write_1h: row.get(14)?,
            output: row.get(15)?,
            reasoning: row.get(16)?,
        },
        requests: row.get(17)?,
        billed_usd: row.get(18)?,
    })
}

/// As the parsers' serde names spell it.
fn report_name(report: Report) -> &'static str {
    match report {
        Report::Usage => "usage",
        Report::Cost => "cost",
        Report::ClaudeCode => "claude_code",
    }
}

/// A name column read back as the value it names; an unknown name is a conversion error.
fn named<T>(row: &Row, idx: usize, parse: impl Fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    let text: String = row.get(idx)?;
    parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            Type::Text,
            format!("unknown name {text:?}").into(),
        )
    })
}
