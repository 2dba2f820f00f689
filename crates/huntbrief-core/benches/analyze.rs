//! Throughput of the whole analysis step (`Article -> Briefing`: chrome removal, profile,
//! IOCs, ATT&CK, kill chain, hunts, triage, severity) on report-like text; divan prints
//! bytes per second.
//!
//! Run: `cargo bench -p huntbrief-core --bench analyze`

use std::sync::LazyLock;

use divan::Bencher;
use divan::counter::BytesCount;
use huntbrief_core::{Article, Body, KnowledgeBase, analyze};

fn main() {
    divan::main();
}

static KB: LazyLock<KnowledgeBase> = LazyLock::new(|| KnowledgeBase::embedded().unwrap());

/// Paragraphs of a campaign write-up: prose, commands, defanged indicators, a CVE.
const REPORT: &str = "\
Since early November we have tracked a loader campaign against freight and logistics companies in Europe. \
The operators send fake invoices as password-protected ZIP archives; the archive holds a Windows shortcut (LNK) \
file that starts a PowerShell downloader with an encoded command.\n\n\
The downloader fetches a second stage from hxxps://cdn-freightsync[.]com/inv/update.bin and writes it to the \
user's AppData folder as fsync.dll. It then runs schtasks /create /sc hourly /tn FreightSync /tr \
\"rundll32.exe %APPDATA%\\fsync.dll,Start\", so the loader survives a reboot.\n\n\
The loader beacons every 300 seconds over HTTPS to 185.220.101[.]47. After a day the operators ran whoami, \
nltest /domain_trusts and net group \"domain admins\" /domain, dumped LSASS with comsvcs.dll MiniDump, and \
copied the Chrome credential stores. In two intrusions they exploited CVE-2024-3400 on the firewall first.\n\n\
Indicators of compromise: update.bin 3b0f1e8a6f1c2d4e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f, \
telemetry.freightsync-cdn[.]net.\n\n";

fn article(bytes: usize) -> Article {
    Article {
        title: "FreightSync: a loader campaign against logistics firms".into(),
        url: Some("https://labs.example.com/research/freightsync".into()),
        sources: vec!["Example Threat Labs".into()],
        published: None,
        text: REPORT.repeat(bytes / REPORT.len() + 1),
        body: Body::Full,
    }
}

/// A typical article (~10 KB) and a long report (~1 MB).
#[divan::bench(args = [10_000, 1_000_000], sample_count = 10)]
fn analyze_article(bencher: Bencher, bytes: usize) {
    let a = article(bytes);
    LazyLock::force(&KB);
    bencher
        .counter(BytesCount::new(a.text.len()))
        .bench(|| analyze(divan::black_box(&a), &KB));
}
