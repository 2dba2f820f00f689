//! Throughput of IOC extraction on report-like text (divan prints bytes per second).
//!
//! `synthetic`: about 4 MB of generated threat-report text (prose, defanged and plain
//! indicators, an IOC table, code, references), always available.
//! `cti_reports`: the CTI reports of `../shared/eval/attack-dev-documents.jsonl` when that
//! folder exists next to the checkout (skipped otherwise).
//!
//! Run: `cargo bench -p huntbrief-core --bench iocs`

use std::fmt::Write;
use std::path::Path;
use std::sync::LazyLock;

use divan::Bencher;
use divan::counter::BytesCount;
use huntbrief_core::KnowledgeBase;
use huntbrief_core::iocs;
use sha2::{Digest, Sha256};

fn main() {
    divan::main();
}

static KB: LazyLock<KnowledgeBase> = LazyLock::new(|| KnowledgeBase::embedded().unwrap());

const PROSE: &[&str] = &[
    "The threat actor gained initial access through a spear-phishing email that carried a \
     malicious ISO attachment. Once mounted, the LNK file inside launched a PowerShell loader \
     that decoded its payload in memory and injected it into a legitimate process.",
    "Researchers observed the group moving laterally with PsExec and WMI, dumping credentials \
     from LSASS, and staging archives before exfiltration over HTTPS to cloud storage.",
    "In version 3.2 of the toolkit the developers replaced the RC4 configuration encryption \
     with AES-256 and added a watchdog that restarts the implant if it is terminated, e.g. by \
     an EDR product. The changes were first reported by BleepingComputer.com in March.",
    "Affected organisations in the U.S., Germany and Japan were notified. The vendor fixed the \
     flaw (CVE-2024-3400) in PAN-OS 11.1.2-h3; see https://security.paloaltonetworks.com/CVE-2024-3400 \
     and the ATT&CK page https://attack.mitre.org/techniques/T1190/ for details.",
    "Node.js and Next.js projects were targeted through typosquatted packages; the malicious \
     package event-stream@3.3.6 is an older example of the same technique, as readme.md files \
     of the forks show.",
];

/// A deterministic, report-like text of at least `min_len` bytes.
fn synthetic(min_len: usize) -> String {
    let mut out = String::with_capacity(min_len + 8192);
    let mut i: u32 = 0;
    while out.len() < min_len {
        let ip = |k: u32| {
            let (a, b, c) = (23 + (i * 7 + k) % 200, (i * 13 + k) % 256, (i * 31) % 256);
            format!("{a}.{b}.{c}.{}", 1 + k % 254)
        };
        let tld = ["com", "net", "ru", "xyz", "top"][i as usize % 5];
        let prose = |k: usize| PROSE[(i as usize + k) % PROSE.len()];
        let _ = write!(
            out,
            "## Campaign {i}\n\n{}\n\n{}\n\nThe loader beacons to upd{}-telemetry[.]{tld} and \
             hxxps://cdn-{i}[.]net/gate.php?id={i} over port 443, falling back to {} when the \
             primary C2 is down.\n\n{}\n\n```\npowershell -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0A\n\
             if (user.id == 3) {{ self.name = cfg.value; }}\n```\n\n\
             Indicators of Compromise\n\n| Type | Value | Note |\n|---|---|---|\n\
             | SHA256 | {} | loader |\n| MD5 | {} | dropper |\n| IP | {} | C2 |\n\
             | Domain | stage{i}-files[.]info | C2 |\n\nFixed in commit {} upstream.\n\n{}\n\n",
            prose(0),
            prose(1),
            i % 97,
            ip(1),
            prose(2),
            hex::<64>(i + 1),
            hex::<32>(i),
            ip(2).replace('.', "[.]"),
            hex::<40>(i + 2),
            prose(3),
        );
        i += 1;
    }
    out
}

fn hex<const N: usize>(seed: u32) -> String {
    let mut s = String::new();
    let mut k = 0u32;
    while s.len() < N {
        let d = Sha256::digest([seed.to_le_bytes(), k.to_le_bytes()].concat());
        for b in d {
            let _ = write!(s, "{b:02x}");
        }
        k += 1;
    }
    s.truncate(N);
    s
}

static SYNTHETIC: LazyLock<String> = LazyLock::new(|| synthetic(4 << 20));

/// The CTI reports of the shared evaluation data, joined, when present.
static CTI: LazyLock<Option<String>> = LazyLock::new(|| {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/eval/attack-dev-documents.jsonl");
    let data = std::fs::read_to_string(path).ok()?;
    let mut out = String::new();
    for line in data.lines() {
        let v: serde_json::Value = serde_json::from_str(line).ok()?;
        out.push_str(v.get("text")?.as_str()?);
        out.push_str("\n\n");
    }
    Some(out)
});

#[divan::bench(sample_count = 40)]
fn synthetic_reports(bencher: Bencher) {
    let text = SYNTHETIC.as_str();
    let kb = &KB.iocs;
    bencher
        .counter(BytesCount::of_str(text))
        .bench(|| iocs::extract(divan::black_box(text), kb, None));
}

#[divan::bench(sample_count = 40)]
fn cti_reports(bencher: Bencher) {
    let Some(text) = CTI.as_deref() else {
        eprintln!("cti_reports: ../shared/eval not found, skipped");
        return;
    };
    let kb = &KB.iocs;
    bencher
        .counter(BytesCount::of_str(text))
        .bench(|| iocs::extract(divan::black_box(text), kb, None));
}
