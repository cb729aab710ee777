//! A secret's identity without its value: HMAC-SHA256 of the value under a per-install
//! key, cut to 16 bytes. The same secret seen twice counts once; someone holding the
//! fingerprints but not the key cannot test a guessed secret against them (a plain hash
//! of a short password could be searched). How the key is made and kept is the caller's.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// 32 random bytes that key every [`Fingerprint`]. Its `Debug` never shows them.
#[derive(Clone, PartialEq, Eq)]
pub struct FingerprintKey([u8; 32]);

impl FingerprintKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The key's bytes, for the state store to keep.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The fingerprint of one secret value under this key.
    pub fn fingerprint(&self, value: &str) -> Fingerprint {
        // HMAC takes a key of any length: `new_from_slice` cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts a 32-byte key"));
        mac.update(value.as_bytes());
        let full = mac.finalize().into_bytes();
        let mut cut = [0u8; 16];
        cut.copy_from_slice(&full[..16]);
        Fingerprint(cut)
    }
}

impl fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FingerprintKey(…)")
    }
}

/// 16 bytes naming one secret under one key; shown and pasted (in `[secrets] ignore`) as
/// 32 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint([u8; 16]);

impl Fingerprint {
    /// A fingerprint from its 32 hex digits (either case); `None` for anything else.
    pub fn from_hex(text: &str) -> Option<Self> {
        let text = text.trim().as_bytes();
        if text.len() != 32 {
            return None;
        }
        let mut bytes = [0u8; 16];
        for (byte, pair) in bytes.iter_mut().zip(text.chunks(2)) {
            let digit = |b: u8| (b as char).to_digit(16);
            *byte = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
        }
        Some(Self(bytes))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_under_one_key_and_different_under_another() {
        let a = FingerprintKey::from_bytes([7; 32]);
        let b = FingerprintKey::from_bytes([8; 32]);
        let value = format!("ghp_{}", "Q1w2E3r4T5y6".repeat(3));
        assert_eq!(a.fingerprint(&value), a.fingerprint(&value));
        assert_ne!(a.fingerprint(&value), b.fingerprint(&value));
        assert_ne!(a.fingerprint(&value), a.fingerprint(&format!("{value}x")));
    }

    #[test]
    fn is_hmac_sha256_cut_to_16_bytes() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"; HMAC
        // pads a short key with zeros, so the same key padded to 32 bytes agrees.
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(b"Jefe");
        let print = FingerprintKey::from_bytes(key).fingerprint("what do ya want for nothing?");
        assert_eq!(print.to_string(), "5bdcc146bf60754e6a042426089575c7");
    }

    #[test]
    fn hex_round_trips_and_rejects_other_text() {
        let print = FingerprintKey::from_bytes([1; 32]).fingerprint("hunter22");
        let hex = print.to_string();
        assert_eq!(hex.len(), 32);
        assert_eq!(Fingerprint::from_hex(&hex), Some(print));
        assert_eq!(Fingerprint::from_hex(&hex.to_uppercase()), Some(print));
        assert_eq!(Fingerprint::from_hex(&hex[1..]), None);
        assert_eq!(Fingerprint::from_hex(&format!("{}zz", &hex[2..])), None);
        assert_eq!(format!("{print:?}"), format!("Fingerprint({hex})"));
    }

    #[test]
    fn debug_of_a_key_shows_no_byte() {
        let key = FingerprintKey::from_bytes([0xab; 32]);
        let shown = format!("{key:?}");
        assert_eq!(shown, "FingerprintKey(…)");
    }
}
