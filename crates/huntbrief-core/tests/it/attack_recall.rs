//! Recall of the techniques reports describe most (issue 15): phishing with an attachment
//! or a link, the victim opening the file, interpreters the actor ran, next stages
//! downloaded, obfuscated payloads, stolen credentials used to log in, injection into a
//! process, masquerading names and HTTP(S) C2, each found by the curated patterns alone in
//! prose we wrote; and the traps around them (advice, mitigations, denials, product text,
//! a tool named without the behaviour) give none of them.

use std::collections::BTreeSet;

use huntbrief_core::attack::{AttackKb, Layers, infer_layers};

const PATTERNS_ONLY: Layers = Layers {
    ids: false,
    patterns: true,
    model: false,
};

fn ids(kb: &AttackKb, text: &str) -> BTreeSet<String> {
    infer_layers(text, kb, PATTERNS_ONLY)
        .into_iter()
        .map(|t| t.id)
        .collect()
}

fn parents(ids: &BTreeSet<String>) -> BTreeSet<String> {
    ids.iter()
        .map(|id| id.split('.').next().unwrap_or(id).to_owned())
        .collect()
}

/// The parents this issue asks recall for.
const RECALL: [&str; 9] = [
    "T1105", "T1059", "T1566", "T1204", "T1027", "T1078", "T1055", "T1071", "T1036",
];

const INTRUSION: &str = "\
The campaign began with emails containing a malicious Excel spreadsheet sent to accounts-payable clerks.

The lure tricks the recipient into opening the spreadsheet and enabling its content. \
The macro then launches a Base64-encoded PowerShell command that downloads and executes a DLL from a remote server.

The DLL injects its decrypted payload into a newly spawned notepad process. \
The payload is dropped as C:\\Users\\Public\\Libraries\\svchost.exe to blend in with system files.

The implant sends HTTP requests to its controller every ten minutes and receives additional modules from the C2 server.

Two weeks later the intruders logged in to the VPN portal with stolen credentials and opened a remote desktop session.";

#[test]
fn an_intrusion_narrative_yields_each_recall_technique() {
    let kb = AttackKb::embedded();
    let found = ids(&kb, INTRUSION);
    for id in [
        "T1566.001",
        "T1204.002",
        "T1059.001",
        "T1105",
        "T1027",
        "T1055",
        "T1036.005",
        "T1071.001",
        "T1078",
    ] {
        assert!(found.contains(id), "{id} missing from {found:?}");
    }
}

#[test]
fn a_link_in_the_mail_is_the_link_variant_not_the_attachment() {
    let kb = AttackKb::embedded();
    let found = ids(
        &kb,
        "Staff who clicked a link in the phishing email landed on a fake Microsoft 365 sign-in page run by the actor.",
    );
    assert!(found.contains("T1566.002"), "{found:?}");
    assert!(!found.contains("T1566.001"), "{found:?}");
}

#[test]
fn phishing_as_the_way_in_without_a_delivery_detail_is_the_parent() {
    let kb = AttackKb::embedded();
    let found = ids(
        &kb,
        "The group gained initial access to the ministry through spear-phishing in early 2024.",
    );
    assert!(found.contains("T1566"), "{found:?}");
    assert!(
        !found.iter().any(|id| id.starts_with("T1566.")),
        "no sub-technique without its evidence: {found:?}"
    );
}

#[test]
fn advice_mitigations_denials_and_product_text_give_no_recall_technique() {
    let kb = AttackKb::embedded();
    let traps = [
        // Detection advice.
        "Defenders should look for PowerShell launched with -enc and a Base64-encoded command.",
        "Hunt for processes that call VirtualAllocEx and then CreateRemoteThread.",
        // Mitigations.
        "Enable MFA to stop attackers from logging in with stolen credentials.",
        "Block emails with ISO attachments at the mail gateway.",
        "Organisations should train staff not to click links in unexpected emails.",
        // Denials.
        "The sample did not download any additional payloads from the C2 server.",
        "We found no evidence that the loader injects code into other processes.",
        // Product and administration text.
        "Administrators use PowerShell to automate server maintenance.",
        "Customers can download and install the update from the official vendor portal.",
        "The web server answers HTTP requests from customers.",
        "The app is a popular YouTube video downloader.",
        // A tool named without what it did.
        "PowerShell 7.4 adds new cmdlets for administrators.",
        "Phishing remains the most common initial access vector, according to the survey.",
    ];
    for trap in traps {
        let found = parents(&ids(&kb, trap));
        let hit: Vec<&str> = RECALL
            .iter()
            .copied()
            .filter(|id| found.contains(*id))
            .collect();
        assert!(hit.is_empty(), "{trap:?} gave {hit:?}");
    }
}
