//! End-to-end behaviour of technique inference on real-looking article text.

use super::*;

fn kb() -> AttackKb {
    AttackKb::embedded()
}

fn ids(text: &str) -> Vec<String> {
    infer(text, &kb()).into_iter().map(|t| t.id).collect()
}

#[test]
fn every_technique_has_evidence_a_current_name_and_tactics() {
    let text = "The operators executed schtasks /create /tn Updater to persist. \
                They then dumped LSASS memory with ProcDump and ran vssadmin delete shadows /all /quiet.";
    let hits = infer(text, &kb());
    let got: Vec<&str> = hits.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(got, ["T1003.001", "T1053.005", "T1490"]);
    for t in &hits {
        assert!(!t.evidence.is_empty() && !t.details.is_empty());
        assert!(!t.tactics.is_empty());
        assert!(t.confidence > 0.5 && t.confidence <= 1.0);
        assert!(text.contains(&t.details[0].sentence));
        assert_eq!(
            &text[t.details[0].start..t.details[0].end],
            t.details[0].sentence
        );
    }
    assert_eq!(hits[1].name, "Scheduled Task/Job: Scheduled Task");
}

#[test]
fn technique_names_in_lists_and_tables_are_not_evidence() {
    let text = "Process Injection\nIngress Tool Transfer\nUser Execution: Malicious File\nName\nAPI\nHTTP\nDescription";
    assert!(ids(text).is_empty(), "{:?}", ids(text));
    // The same words in a sentence about what happened are.
    assert_eq!(
        ids("The loader uses process injection to hide inside a legitimate svchost.exe process."),
        ["T1055"]
    );
}

#[test]
fn the_authors_own_attack_mapping_is_evidence_by_itself() {
    let table = "Appendix: MITRE ATT&CK mapping\n\
        Tactic | Technique | ID\n\
        Discovery | Account Discovery: Domain Account | T1087.002\n\
        Command and Control | Ingress Tool Transfer | https://attack.mitre.org/techniques/T1105/\n\
        Execution | PowerShell | https://attack.mitre.org/techniques/T1059/001/\n\
        Persistence | DLL Side-Loading | T1574.002\n";
    assert_eq!(ids(table), ["T1059.001", "T1087.002", "T1105", "T1574.001"]);
    // Not when denied, only hedged, or under a detection or mitigation heading, nor a
    // look-alike code.
    let not = "We found no sign of T1486 in this intrusion.\n\
        An attacker could in theory use T1055 here.\n\
        The T1000 router and the XT1059 model were affected, see CVE-2024-1059.\n\
        Mitigations\n\
        M1042 limits T1021.001: disable RDP where it is not needed.\n\
        Detection\n\
        The rule tags attack.t1003.001 and T1003.001.\n";
    assert!(ids(not).is_empty(), "{:?}", ids(not));
    // A citation list at the end is not the author's mapping.
    let refs = "The actor stole credentials from the browsers of the victims it had compromised.\n\
        References\n[1] https://attack.mitre.org/techniques/T1555/003/\n";
    assert!(
        !ids(refs).contains(&"T1555.003".to_owned()),
        "{:?}",
        ids(refs)
    );
}

#[test]
fn a_catalogue_of_every_technique_an_actor_ever_used_is_not_this_reports_mapping() {
    let kb = kb();
    let active: Vec<&str> = kb
        .table
        .techniques()
        .iter()
        .filter(|t| t.status == table::Status::Active)
        .map(|t| t.id.as_str())
        .take(CATALOGUE_IDS + 10)
        .collect();
    let catalogue: String = active
        .iter()
        .map(|id| format!("{} [{id}]\n", kb.table.display_name(id).unwrap()))
        .collect();
    let got = ids(&catalogue);
    assert!(got.is_empty(), "{got:?}");
    // A short mapping of the same kind is the author's finding.
    let short: String = catalogue
        .lines()
        .take(5)
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(ids(&short).len(), 5);
}

#[test]
fn a_tool_name_is_not_its_technique() {
    // PsExec to reach other hosts is remote execution over admin shares, not a service.
    let got = ids("The operators moved laterally to the domain controllers using PsExec.");
    assert!(
        got.contains(&"T1021.002".to_owned()) && !got.contains(&"T1569.002".to_owned()),
        "{got:?}"
    );
    let got = ids("PsExec created the PSEXESVC service on each host to run the encryptor.");
    assert!(got.contains(&"T1569.002".to_owned()), "{got:?}");
    // A path component named like the tool is not the tool.
    let got =
        ids("The dropper wrote its launcher to C:\\ProgramData\\schtasks\\upd.bat and exited.");
    assert!(!got.contains(&"T1053.005".to_owned()), "{got:?}");
}

#[test]
fn detection_content_negations_and_labels_are_not_evidence() {
    let text = "Hunting query\n\
        DeviceProcessEvents\n\
        | where ProcessCommandLine has \"vssadmin delete shadows\"\n\
        Defenders should look for schtasks /create events on servers.\n\
        The sample does not appear to execute once and then delete itself from disk.\n\
        Name\nAPI\nHTTP\nDescription\nProcess Injection\n";
    let got = ids(text);
    assert!(got.is_empty(), "{got:?}");
}

#[test]
fn a_sub_technique_sentence_is_not_also_parent_evidence() {
    let got = ids("The payload is executed via process hollowing of a suspended RegAsm.exe.");
    assert!(
        got.contains(&"T1055.012".to_owned()) && !got.contains(&"T1055".to_owned()),
        "{got:?}"
    );
}

/// The seed article: an opinion essay about the term "supply chain security".
const SEED_ESSAY: &str = "Editor's note: The following think piece, written by our Open Source and Open Standards Strategy Director, examines the origin of the term \"supply chain security\" and whether it's a good fit for today's open source software development process.
I was inspired to write this after reading a post from Thomas Depierre on Mastodon. The post touched on something that's been troubling me recently.
When it comes to open source, the maintainers of the packages we depend on are not our suppliers. They have not signed a contract, they are not paid, and they owe us nothing.
Software supply chain attacks such as SolarWinds and the compromise of popular packages have made supply chain security a board-level topic, and regulators now ask vendors for SBOMs.
Yet calling volunteers \"suppliers\" shifts responsibility to people who never agreed to carry it. Companies should invest in the projects they rely on, fund maintainers and contribute fixes upstream.
We recommend that organizations map their dependencies, verify signatures and pin versions, and that they treat open source as a commons rather than a supply chain.";

/// A data-breach story that mentions ransomware and extortion.
const BREACH_STORY: &str = "Regional hospital group discloses data breach affecting 1.2 million patients
The hospital group said an unauthorized party accessed its network between March 2 and March 9 and copied files containing names, dates of birth, Social Security numbers and medical record numbers.
The BlackSuit ransomware gang claimed the attack on its leak site last week and threatened to publish the stolen data unless an extortion payment is made.
The company said it has notified law enforcement, engaged a third-party forensic firm and is offering affected patients 24 months of credit monitoring.
It did not say whether a ransom was paid, and its hospitals continued to operate normally throughout the incident.
Ransomware and data extortion attacks on healthcare providers have risen sharply, according to the HHS Office for Civil Rights.";

/// A TeamCity remote code execution story.
const TEAMCITY_STORY: &str = "JetBrains fixes critical TeamCity authentication bypass exploited in attacks
JetBrains has released TeamCity 2023.11.4 to fix two vulnerabilities, CVE-2024-27198 and CVE-2024-27199, in the on-premises CI/CD server.
The critical flaw lets an unauthenticated remote attacker bypass authentication and take over the server, gaining administrative control and the ability to execute code.
Days after the disclosure, attackers exploited CVE-2024-27198 in internet-facing TeamCity servers to create hundreds of rogue administrator accounts, according to LeakIX.
Administrators who cannot upgrade immediately should apply the security patch plugin or restrict access to the server from the internet.
Rapid7, which found the flaws, published technical details and a proof-of-concept exploit on Monday.";

#[test]
fn the_seed_essay_gets_no_supply_chain_technique() {
    let got = ids(SEED_ESSAY);
    assert!(!got.iter().any(|t| t.starts_with("T1195")), "{got:?}");
    assert!(
        got.is_empty(),
        "an opinion essay describes no technique: {got:?}"
    );
}

#[test]
fn a_breach_story_mentioning_ransomware_gets_no_ransomware_playbook() {
    let got = ids(BREACH_STORY);
    for wrong in ["T1003.001", "T1021.002", "T1569.002", "T1486", "T1490"] {
        assert!(!got.contains(&wrong.to_owned()), "{wrong} in {got:?}");
    }
}

#[test]
fn a_teamcity_rce_story_gets_no_phishing_techniques() {
    let got = ids(TEAMCITY_STORY);
    assert!(
        !got.iter()
            .any(|t| t.starts_with("T1566") || t.starts_with("T1204")),
        "{got:?}"
    );
    // What the story does describe: exploitation of a public-facing application.
    assert!(got.contains(&"T1190".to_owned()), "{got:?}");
}

#[test]
fn a_long_run_of_repeated_ids_is_one_list_entry() {
    // 96 KB in one "sentence": each ID is found once, the run is a list, the one technique
    // is emitted once, and the evidence holds a few bounded excerpts rather than one copy
    // of the whole text per ID.
    let kb = kb();
    let text = format!("The actor used {}", "T1059.".repeat(16_000));
    let sents = kb.cues.sentences(&text);
    let hits = explicit::find(&text, &sents, &kb.table);
    assert_eq!(hits.len(), 16_000);
    assert!(hits.iter().all(|h| h.id == "T1059" && !h.descriptive));
    let cands = candidates(&text, &kb, Layers::ALL, &kb.model);
    let c = cands.iter().find(|c| c.id == "T1059").unwrap();
    assert!(c.id_strong);
    let evidence_bytes: usize = cands
        .iter()
        .flat_map(|c| &c.evidence)
        .map(|e| e.sentence.len())
        .sum();
    assert!(evidence_bytes < 20 * MAX_EVIDENCE_CHARS, "{evidence_bytes}");
    let hits = infer(&text, &kb);
    assert_eq!(
        hits.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        ["T1059"]
    );
    assert!(hits[0].evidence.len() == 1 && hits[0].evidence[0].len() <= MAX_EVIDENCE_CHARS + 3);
    // Separators and pattern phrases repeated without end stay one bounded result too.
    for unit in ["schtasks /create ", "; ", "powershell -enc ", "T1059.001, "] {
        let text = unit.repeat(96_000 / unit.len());
        let hits = infer(&text, &kb);
        assert!(hits.len() <= 3, "{unit}: {hits:?}");
        for t in &hits {
            assert!(t.evidence.iter().all(|e| e.len() <= MAX_EVIDENCE_CHARS + 8));
        }
    }
}

#[test]
fn hostile_input_does_not_panic_and_stays_deterministic() {
    let kb = kb();
    let mut nasty = String::new();
    for i in 0..2000 {
        nasty.push_str(
            [
                "T1059.",
                "é\u{200b}",
                "\n\n",
                "cmd.exe /c ",
                "T1",
                ".",
                "\u{0}",
                "schtasks /create ",
            ][i % 8],
        );
    }
    let a = infer(&nasty, &kb);
    let b = infer(&nasty, &kb);
    assert_eq!(a, b);
    assert!(infer("", &kb).is_empty());
}
