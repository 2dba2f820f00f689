//! A fully populated briefing, built by hand, for format and safety tests.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use huntbrief_core::*;

pub fn ioc(kind: IocType, value: &str, defanged: &str) -> Indicator {
    Indicator {
        kind,
        value: value.into(),
        defanged: defanged.into(),
        fidelity: Fidelity::High,
        evidence: format!("The loader contacted {value}."),
        offset: 0,
    }
}

pub fn briefing() -> Briefing {
    let mut iocs = vec![
        ioc(
            IocType::Sha256,
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ),
        ioc(IocType::Cve, "CVE-2024-3400", "CVE-2024-3400"),
        ioc(IocType::Ipv4, "203.0.113.7", "203.0.113[.]7"),
    ];
    for i in 0..10 {
        iocs.push(ioc(
            IocType::Domain,
            &format!("update{i}.example-c2.net"),
            &format!("update{i}.example-c2[.]net"),
        ));
    }
    let mut low = ioc(IocType::Domain, "github.com", "github[.]com");
    low.fidelity = Fidelity::Low;
    iocs.push(low);
    let mut queries = BTreeMap::new();
    queries.insert(
        Backend::Splunk,
        "| tstats `summariesonly` count from datamodel=Endpoint.Processes where Processes.process_name=\"vssadmin.exe\" by Processes.dest\n| `drop_dm_object_name(Processes)`".to_owned(),
    );
    queries.insert(
        Backend::Defender,
        "DeviceProcessEvents\n| where FileName =~ \"vssadmin.exe\"".to_owned(),
    );
    Briefing {
        id: "3f403c61ee54512a".into(),
        title: "Wiper campaign hits energy firms".into(),
        url: Some("https://example.com/research/wiper".into()),
        sources: vec!["Example Research".into(), "Example News".into()],
        published: NaiveDate::from_ymd_opt(2026, 11, 2),
        body: Body::Full,
        kind: Kind::Campaign,
        severity: Severity::High,
        severity_reasons: vec!["Destructive impact: the malware wipes disks.".into()],
        severity_score: 45,
        severity_parts: vec![],
        summary: "A wiper was deployed against energy firms after exploitation of a firewall flaw."
            .into(),
        iocs,
        iocs_cut: 0,
        techniques: vec![TechniqueHit {
            id: "T1490".into(),
            name: "Inhibit System Recovery".into(),
            tactics: vec!["impact".into()],
            confidence: 0.9,
            evidence: vec!["The wiper ran vssadmin delete shadows /all /quiet.".into()],
            details: Vec::new(),
        }],
        kill_chain: vec![Phase::Exploit, Phase::Actions],
        hunts: vec![Hunt {
            id: "UC_SHADOW_DELETE".into(),
            title: "Shadow copy deletion".into(),
            phase: Phase::Actions,
            confidence: Confidence::High,
            techniques: vec!["T1490".into()],
            queries,
        }],
        actors: Vec::new(),
        malware: Vec::new(),
        tools: Vec::new(),
    }
}
