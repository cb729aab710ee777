//! A credential that names something (an identity that is an API key) is shown as its
//! prefix and a short tag, `sk-proj-…#3f9c`: two keys stay two, a person can tell them
//! apart and match them across runs, machines and outputs, and nobody reads the key.
//!
//! The tag is 16 bits of a 64-bit FNV-1a hash of a fixed key followed by the token. Fixed
//! rather than per install, so the same key carries the same tag in a report mailed from
//! another machine; 16 bits cannot give back a key of 100+ random bits, and the hash is
//! not meant to stand against a search over guessed keys (which 16 bits would not resist
//! whatever the hash). Two keys share a tag once in 65,536 pairs: rows stay apart anyway,
//! as the engine keys identities by their raw value.

use std::borrow::Cow;

use super::tokens::replace_tokens;

/// Mixed in before the token, so the tag is no plain FNV-1a of the key.
const TAG_KEY: &[u8] = b"tokentop identity tag v1";

fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in parts.iter().flat_map(|p| p.iter()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// `text` with every token it holds shown as its prefix and a short tag of the token
/// (`sk-proj-…#3f9c`); borrowed when it holds none.
pub fn tag(text: &str) -> Cow<'_, str> {
    replace_tokens(text, |prefix, token| {
        let hash = fnv1a(&[TAG_KEY, token.as_bytes()]);
        format!("{prefix}…#{:04x}", hash & 0xffff)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_becomes_its_prefix_and_a_stable_tag() {
        let a = format!("sk-proj-{}", "a".repeat(40));
        let b = format!("sk-proj-{}", "b".repeat(40));
        let (ta, tb) = (tag(&a), tag(&b));
        assert!(
            ta.starts_with("sk-proj-…#") && ta.len() == "sk-proj-…#".len() + 4,
            "{ta}"
        );
        assert_ne!(ta, tb, "two keys, two tags");
        assert_eq!(tag(&a), ta, "stable");
        assert_eq!(tag(&format!("user {a} (ci)")), format!("user {ta} (ci)"));
        assert!(matches!(tag("svc-checkout"), Cow::Borrowed("svc-checkout")));
    }
}
