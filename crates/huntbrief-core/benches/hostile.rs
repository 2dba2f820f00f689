//! The whole analysis step on adversarial repetition (issue 20): one token repeated to
//! 64 KB and to 256 KB of text. Linear stages keep the same bytes per second at both
//! sizes; a quadratic one falls four times slower at the larger.
//!
//! Run: `cargo bench -p huntbrief-core --bench hostile`

use std::sync::LazyLock;

use divan::Bencher;
use divan::counter::BytesCount;
use huntbrief_core::{Article, Body, KnowledgeBase, analyze};

fn main() {
    divan::main();
}

static KB: LazyLock<KnowledgeBase> = LazyLock::new(|| KnowledgeBase::embedded().unwrap());

/// Runs of IDs, IOC-like tokens and separators, and the prose they hide in.
const TOKENS: &[(&str, &str)] = &[
    ("attack_ids", "T1059."),
    ("cves", "CVE-2024-3400 "),
    ("ipv4", "45.13.7.9 "),
    ("defanged_urls", "hxxps://c2[.]badcdn[.]top/a "),
    (
        "hashes",
        "3b0f1e8a6f1c2d4e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f ",
    ),
    ("domains", "update.badcdn.top "),
    ("dots", "."),
    ("dashes", "-"),
    ("pipes", "|"),
    ("newlines", "\n"),
    ("brackets", "[.]"),
    ("one_word", "a"),
    ("short_sentences", "A. "),
    ("names", "APT29 used Mimikatz. "),
    ("cue_words", "the actor used powershell to download "),
];

fn article(token: &str, bytes: usize) -> Article {
    Article {
        title: "Repetition".into(),
        url: Some("https://labs.example.com/r".into()),
        sources: vec!["Example".into()],
        published: None,
        text: format!("The actor used {}", token.repeat(bytes / token.len())),
        body: Body::Full,
    }
}

#[divan::bench(args = TOKENS.iter().map(|(name, _)| *name), consts = [65_536, 262_144], sample_count = 3, sample_size = 1)]
fn analyze_repetition<const BYTES: usize>(bencher: Bencher, name: &str) {
    let token = TOKENS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("", |(_, t)| t);
    let a = article(token, BYTES);
    LazyLock::force(&KB);
    bencher
        .counter(BytesCount::new(a.text.len()))
        .bench(|| analyze(divan::black_box(&a), &KB));
}
