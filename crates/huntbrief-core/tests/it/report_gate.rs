//! The kind gate looks at the body: a research report whose title is framed like a
//! tutorial, product news or commentary is still a threat report when its body describes
//! intrusions, malware behaviour or indicators, and keeps its techniques and actors; a
//! real tutorial, product announcement or case study stays non-threat with none.

use huntbrief_core::{Article, Body, Briefing, Kind, KnowledgeBase, analyze};

fn brief(title: &str, text: &str) -> Briefing {
    let kb = KnowledgeBase::embedded().unwrap();
    analyze(
        &Article {
            title: title.into(),
            url: None,
            sources: vec![],
            published: None,
            text: text.into(),
            body: Body::Full,
        },
        &kb,
    )
}

const INTRUSION: &str = "\
Over six months our incident responders investigated intrusions at eleven logistics companies in Europe and Asia. \
In every case the threat actor gained initial access through spear-phishing emails carrying an ISO attachment.

The ISO held a shortcut file that ran PowerShell to download a loader from a compromised WordPress site. \
The loader decrypted an encrypted payload and injected it into a legitimate process. \
For persistence the actors created a scheduled task named UpdateCheck that ran the backdoor every hour.

The backdoor beaconed to its command-and-control servers over HTTPS every five minutes. \
From there the operators ran Mimikatz to dump credentials from LSASS memory and moved laterally over RDP \
and SMB with the stolen domain administrator password.

Before leaving, the actors compressed shipping manifests with 7-Zip and exfiltrated the archives to a cloud storage account. \
We attribute the campaign with moderate confidence to the group tracked as UNC4210.

Indicators of compromise: the loader's SHA256 is 3f1c0a5e2b7d9c4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e \
and the C2 domain is update-check[.]net.";

#[test]
fn a_report_framed_as_product_news_or_commentary_stays_a_threat_report() {
    // Openings whose framing words outnumber the threat words of a report's first
    // paragraph: without reading the rest of the body these are product news or talks.
    let product = format!(
        "Today we are excited to share our analysis of Operation Silent Freight, now available to \
         customers of our platform. Join our webinar for a walkthrough.\n\n{INTRUSION}"
    );
    let b = brief(
        "Introducing our analysis of Operation Silent Freight",
        &product,
    );
    assert_eq!(b.kind, Kind::Campaign, "{:?}", b.severity_reasons);
    assert!(!b.techniques.is_empty(), "techniques are kept");
    assert!(!b.hunts.is_empty(), "behavioural hunts are kept");
    let talk = format!(
        "Editor's note: this post accompanies our conference keynote; the video and an interview \
         with the speakers are linked below.\n\n{INTRUSION}"
    );
    let b = brief("Lessons from Operation Silent Freight", &talk);
    assert_eq!(b.kind, Kind::Campaign, "{:?}", b.severity_reasons);
    assert!(!b.techniques.is_empty());
    assert!(!b.actors.is_empty(), "actors are kept: {:?}", b.actors);
}

#[test]
fn a_real_tutorial_stays_a_tutorial_without_techniques_or_hunts() {
    let text = "\
In this guide you will set up Sysmon on a Windows server step by step and forward its events to your SIEM.

First, download Sysmon from the Sysinternals site and unzip it. Open an administrator prompt and run \
sysmon64.exe -accepteula -i with the community configuration file. You should see the service start.

Next, configure Windows Event Forwarding so that the Microsoft-Windows-Sysmon/Operational channel reaches your collector. \
If you use a cloud SIEM, install its agent instead and point it at the same channel.

Finally, try three example searches: PowerShell with an encoded command, a process opening LSASS as tools like \
Mimikatz do for credential dumping, and new scheduled tasks, which attackers often use for persistence. \
Tune each search for your environment before you turn it into an alert. That's it: your first Sysmon \
pipeline is ready, and in the next tutorial we will write Sigma rules for it.";
    let b = brief("How to set up Sysmon for threat hunting", text);
    assert_eq!(b.kind, Kind::Tutorial, "{:?}", b.severity_reasons);
    assert!(b.techniques.is_empty() && b.hunts.is_empty() && b.actors.is_empty());
}

#[test]
fn product_news_and_case_studies_stay_non_threat() {
    let announcement = "\
We're excited to announce that Acme Shield 6 is now generally available. The release brings agentless scanning \
for containers, a redesigned console and integration with the major SIEMs. Our platform now detects ransomware \
behaviour such as mass file renames and shadow copy deletion, and blocks credential dumping from LSASS. \
Existing customers get the update at no cost; new customers can start a free trial or book a demo.";
    let b = brief(
        "Introducing Acme Shield 6: detection for hybrid clouds",
        announcement,
    );
    assert_eq!(b.kind, Kind::Product);
    assert!(b.techniques.is_empty() && b.hunts.is_empty() && b.actors.is_empty());

    let case_study = "\
When the Log4Shell zero-day was disclosed, the platform team at a retailer had four hundred services to check. \
This case study describes how they used our scanner to find every vulnerable dependency, how they prioritised \
internet-facing services, and how our platform opened pull requests with the fixed library versions. \
Within a week every service was patched. The team now runs the scanner on every build and has cut the time \
to fix critical vulnerabilities from weeks to days. Request a demo to see how it works for your team.";
    let b = brief(
        "How a retailer used Acme Scan to remediate Log4Shell",
        case_study,
    );
    assert_eq!(b.kind, Kind::Product);
    assert!(b.techniques.is_empty() && b.hunts.is_empty() && b.actors.is_empty());
    assert_eq!(b.severity, huntbrief_core::Severity::Low);
}
