//! Throughput of kind triage and severity alone (every factor over the title and the
//! body) on report-like text, to keep them a small share of the analysis step.
//!
//! Run: `cargo bench -p huntbrief-core --bench severity`

use std::collections::HashSet;
use std::sync::LazyLock;

use divan::Bencher;
use divan::counter::BytesCount;
use huntbrief_core::KnowledgeBase;
use huntbrief_core::severity::Facts;

fn main() {
    divan::main();
}

static KB: LazyLock<KnowledgeBase> = LazyLock::new(|| KnowledgeBase::embedded().unwrap());

/// A campaign write-up with exploitation, malware, a lure and a CVSS vector.
const REPORT: &str = "\
Since early November we have tracked a loader campaign against freight companies in Europe. The operators \
send fake invoices as password-protected archives; a shortcut file starts a PowerShell downloader.\n\n\
In two intrusions they exploited an unauthenticated remote code execution flaw in the firewall first \
(CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H). The vendor says it is aware of exploitation in the wild.\n\n\
After a week the intruders deleted the backups and encrypted the file servers of one victim; thousands of \
devices were affected. The loader beacons every 300 seconds to its command-and-control server.\n\n";

const TITLE: &str = "FreightSync: a loader campaign against logistics firms";

/// A typical article (~10 KB) and a long report (~1 MB).
#[divan::bench(args = [10_000, 1_000_000], sample_count = 10)]
fn triage_and_severity(bencher: Bencher, bytes: usize) {
    let text = REPORT.repeat(bytes / REPORT.len() + 1);
    let kev = HashSet::new();
    LazyLock::force(&KB);
    bencher.counter(BytesCount::new(text.len())).bench(|| {
        let kind = KB.triage.classify(TITLE, divan::black_box(&text));
        KB.severity.assess(&Facts {
            title: TITLE,
            text: &text,
            kind: &kind,
            published: None,
            iocs: &[],
            techniques: &[],
            hunts: &[],
            kev: &kev,
            actors: &[],
        })
    });
}
