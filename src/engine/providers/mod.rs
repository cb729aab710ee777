//! Provider usage and cost in the live engine: the ledger of what was polled, and what the
//! monitor shows of it.

mod ledger;

pub use ledger::{ProviderLedger, kept_from};
