//! Token counts estimated from text, for records that carry the text of a request but no
//! counts (see the wrapper format).
//!
//! OpenAI's BPE vocabularies (tiktoken-rs, compiled in: no network): `o200k_base` for the
//! GPT-4o, 4.1, 4.5, GPT-5 and o-series families; `cl100k_base` for GPT-3.5, GPT-4 and
//! `text-embedding-*`; and `o200k_base` as an approximation for every other model, whose
//! tokenizers are not public or not bundled (Anthropic's differ by some percent). Only text
//! is counted, without the per-message framing, images or tool schemas, so estimates run low.
//!
//! Each vocabulary is loaded once, on first use (tiktoken-rs keeps them in `LazyLock`
//! statics; o200k takes ~130 ms and ~45 MB): parsers run on the reader thread, so that
//! never stalls the UI, and a run without such records never loads one.

use tiktoken_rs::CoreBPE;

/// The BPE vocabulary used for a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    O200kBase,
    Cl100kBase,
}

impl Encoding {
    /// The vocabulary for a model id as people write it: provider prefixes
    /// (`openai/gpt-4o`) and fine-tune prefixes (`ft:gpt-4o-mini:org::id`) are skipped.
    pub fn for_model(model: &str) -> Encoding {
        let model = model
            .rsplit('/')
            .next()
            .unwrap_or(model)
            .to_ascii_lowercase();
        let model = model.strip_prefix("ft:").unwrap_or(&model);
        let o200k = [
            "gpt-4o",
            "chatgpt-4o",
            "gpt-4.1",
            "gpt-4.5",
            "gpt-5",
            "o1",
            "o3",
            "o4",
        ];
        let cl100k = ["gpt-3.5", "gpt-35", "gpt-4", "text-embedding-"];
        if o200k.iter().any(|p| model.starts_with(p)) {
            Encoding::O200kBase
        } else if cl100k.iter().any(|p| model.starts_with(p)) {
            Encoding::Cl100kBase
        } else {
            Encoding::O200kBase
        }
    }

    fn bpe(self) -> &'static CoreBPE {
        match self {
            Encoding::O200kBase => tiktoken_rs::o200k_base_singleton(),
            Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
        }
    }
}

/// Tokens in the texts for `model`. Special-token text (`<|endoftext|>`) in a log is
/// counted as the plain text it was sent as.
pub fn count<'t>(model: &str, texts: impl IntoIterator<Item = &'t str>) -> u64 {
    let bpe = Encoding::for_model(model).bpe();
    texts
        .into_iter()
        .map(|text| bpe.count_ordinary(text) as u64)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_map_to_their_vocabulary() {
        for model in [
            "gpt-4o-mini",
            "openai/gpt-4.1",
            "o3-mini",
            "gpt-5",
            "ft:gpt-4o:acme::x",
        ] {
            assert_eq!(Encoding::for_model(model), Encoding::O200kBase, "{model}");
        }
        for model in [
            "gpt-4",
            "gpt-4-turbo",
            "gpt-3.5-turbo",
            "text-embedding-3-small",
        ] {
            assert_eq!(Encoding::for_model(model), Encoding::Cl100kBase, "{model}");
        }
        assert_eq!(
            Encoding::for_model("claude-sonnet-4-5"),
            Encoding::O200kBase
        );
    }

    #[test]
    fn texts_are_counted_with_the_model_vocabulary() {
        // "Hello, world!" is 4 tokens in both vocabularies.
        assert_eq!(count("gpt-4o", ["Hello, world!"]), 4);
        assert_eq!(
            count("gpt-3.5-turbo", ["Hello, world!", "Hello, world!"]),
            8
        );
        assert_eq!(count("gpt-4o", [""]), 0);
        // The vocabularies differ, most on text that is not English.
        let russian = "привет мир, как дела?";
        assert_eq!(count("gpt-4o", [russian]), 7);
        assert_eq!(count("gpt-4", [russian]), 11);
        // As one special token it would be 1.
        assert!(count("m", ["<|endoftext|>"]) > 1);
    }
}
