//! Throughput of ATT&CK technique inference (all three layers) and kill-chain phases.
//!
//! `synthetic_1mb`: about 1 MB of generated report text, split into 20 KB articles
//! (always available). `cti_reports_1mb`: 1 MB of the real CTI reports in
//! `../shared/eval/attack-dev-documents.jsonl`, article by article (skipped when that
//! folder is absent). Each iteration analyses the whole megabyte on one core.
//!
//! `repeated_ids_96kb`: the adversarial `The actor used ` + `T1059.` × 16,000 (issue 20),
//! which must stay linear (target: well under a second).
//!
//! Run: `cargo bench -p huntbrief-core --bench attack`

use std::path::Path;
use std::sync::LazyLock;

use divan::Bencher;
use divan::counter::BytesCount;
use huntbrief_core::attack::{AttackKb, infer};
use huntbrief_core::killchain;

fn main() {
    divan::main();
}

static KB: LazyLock<AttackKb> = LazyLock::new(AttackKb::embedded);

const MB: usize = 1 << 20;

const PARAGRAPHS: &[&str] = &[
    "The intrusion began with a spearphishing email carrying a malicious ISO attachment. When \
     the user mounted the image and double-clicked the LNK file, cmd.exe /c started a batch \
     script that loaded the IcedID DLL with rundll32.exe.",
    "The loader decrypts its configuration with RC4, checks for VMware and VirtualBox \
     artifacts, and enumerates running processes before injecting the payload into \
     explorer.exe. Persistence is set with schtasks /create /sc minute /mo 15.",
    "Two days later the operators ran AdFind and nltest /domain_trusts, dumped LSASS memory \
     with ProcDump and moved laterally over RDP with the stolen domain admin credentials.",
    "Cobalt Strike beacons communicated with the C2 server over HTTPS, and data staged in \
     C:\\PerfLogs was archived with rar.exe before exfiltration to MEGA using Rclone.",
    "Finally the ransomware was pushed to all hosts with PsExec; it deletes volume shadow \
     copies with vssadmin delete shadows /all /quiet and encrypts files on network shares, \
     appending the .locked extension and dropping a ransom note in every folder.",
    "Organizations should enable MFA, restrict PowerShell and monitor for schtasks /create \
     events. We found no evidence that the actor used web shells in this intrusion.",
    "The company said the incident did not affect customer data, and it has notified \
     regulators. Its shares fell 3% in early trading after the announcement on Tuesday.",
];

/// About `total` bytes of report-like articles of about 20 KB each.
fn synthetic(total: usize) -> Vec<String> {
    let mut docs = Vec::new();
    let mut size = 0;
    let mut i = 0usize;
    while size < total {
        let mut doc = String::new();
        while doc.len() < 20_000 {
            doc.push_str(&format!("Stage {i}\n"));
            doc.push_str(PARAGRAPHS[i % PARAGRAPHS.len()]);
            doc.push_str("\n\n");
            i += 1;
        }
        size += doc.len();
        docs.push(doc);
    }
    docs
}

/// About `total` bytes of the development CTI reports, when they are available.
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
    let kb = &*KB;
    let bytes: usize = docs.iter().map(String::len).sum();
    // Warm the lazily compiled patterns so the measurement is steady-state.
    for d in docs.iter().take(8) {
        divan::black_box(infer(d, kb));
    }
    bencher.counter(BytesCount::new(bytes)).bench(|| {
        for d in docs {
            let t = infer(divan::black_box(d), kb);
            divan::black_box(killchain::phases(&t, d, kb));
        }
    });
}

#[divan::bench(sample_count = 5)]
fn synthetic_1mb(bencher: Bencher) {
    let docs = synthetic(MB);
    run(bencher, &docs);
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
fn repeated_ids_96kb(bencher: Bencher) {
    let text = format!("The actor used {}", "T1059.".repeat(16_000));
    let kb = &*KB;
    bencher
        .counter(BytesCount::new(text.len()))
        .bench(|| divan::black_box(infer(divan::black_box(&text), kb)));
}
