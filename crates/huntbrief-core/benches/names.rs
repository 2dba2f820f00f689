//! Throughput of the names stage (actors, malware, tools): the one-automaton pass over
//! every alias and vendor name, context rules and new-name extraction, sentence
//! splitting included.
//!
//! `synthetic_1mb`: about 1 MB of generated report text in 20 KB articles dense with
//! names (always available). `cti_reports_1mb`: 1 MB of the real CTI reports in
//! `../shared/eval/attack-dev-documents.jsonl` (skipped when that folder is absent).
//! Also the cost of building the knowledge (automaton over all aliases).
//!
//! Run: `cargo bench -p huntbrief-core --bench names`

use std::path::Path;
use std::sync::LazyLock;

use divan::Bencher;
use divan::counter::BytesCount;
use huntbrief_core::attack::Cues;
use huntbrief_core::kb::EMBEDDED;
use huntbrief_core::names::{NamesKb, find};

fn main() {
    divan::main();
}

static KB: LazyLock<(NamesKb, Cues)> = LazyLock::new(|| {
    (
        NamesKb::embedded(),
        Cues::parse(EMBEDDED.get(Cues::FILE).unwrap()).unwrap(),
    )
});

const MB: usize = 1 << 20;

const PARAGRAPHS: &[&str] = &[
    "Microsoft Threat Intelligence tracks this actor as Storm-0558, and Mandiant observed \
     UNC3886 exploiting the same appliances. Cozy Bear, also called Midnight Blizzard, sent \
     phishing emails to diplomats.",
    "The operators used tools like Mimikatz and PsExec, moved laterally with Impacket and \
     exfiltrated data with Rclone to MEGA. AnyDesk was installed for persistence.",
    "Like Ryuk before it, the Akira ransomware deletes shadow copies; the loader is similar \
     to Emotet and QakBot in how it spreads. Cobalt Strike beacons were detected by \
     CrowdStrike Falcon.",
    "Researchers uncovered a previously undocumented botnet named AryStinger and a backdoor \
     dubbed FIRESTARTER, tracked as UAT-7810 by Cisco Talos.",
    "The company said the incident did not affect customer data, and it has notified \
     regulators. Its shares fell 3% in early trading after the announcement on Tuesday.",
];

fn synthetic(total: usize) -> Vec<String> {
    let mut docs = Vec::new();
    let mut size = 0;
    let mut i = 0usize;
    while size < total {
        let mut doc = String::new();
        while doc.len() < 20_000 {
            doc.push_str(PARAGRAPHS[i % PARAGRAPHS.len()]);
            doc.push_str("\n\n");
            i += 1;
        }
        size += doc.len();
        docs.push(doc);
    }
    docs
}

fn reports(total: usize) -> Option<Vec<String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/eval/attack-dev-documents.jsonl");
    let text = std::fs::read_to_string(path).ok()?;
    let all: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_owned))
        .collect();
    if all.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    let mut size = 0;
    for d in all.iter().cycle() {
        if size >= total {
            break;
        }
        size += d.len();
        out.push(d.clone());
    }
    Some(out)
}

fn run(bencher: Bencher, docs: &[String]) {
    let (kb, cues) = &*KB;
    let bytes: usize = docs.iter().map(String::len).sum();
    bencher.counter(BytesCount::new(bytes)).bench(|| {
        for d in docs {
            divan::black_box(find(divan::black_box(d), kb, cues));
        }
    });
}

#[divan::bench(sample_count = 5)]
fn synthetic_1mb(bencher: Bencher) {
    run(bencher, &synthetic(MB));
}

#[divan::bench(sample_count = 5)]
fn cti_reports_1mb(bencher: Bencher) {
    match reports(MB) {
        Some(docs) => run(bencher, &docs),
        None => {
            eprintln!("cti_reports_1mb: ../shared/eval not found, skipped");
            bencher.bench(|| ());
        }
    }
}

#[divan::bench(sample_count = 5)]
fn build_knowledge(bencher: Bencher) {
    bencher.bench(NamesKb::embedded);
}
