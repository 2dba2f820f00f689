use std::sync::LazyLock;

use super::*;
use crate::attack::AttackKb;
use crate::model::{NameRole, NameSource};

static KB: LazyLock<(NamesKb, AttackKb)> =
    LazyLock::new(|| (NamesKb::embedded(), AttackKb::embedded()));

fn found(text: &str) -> Found {
    find(text, &KB.0, &KB.1.cues)
}

fn names(list: &[NamedEntity]) -> Vec<&str> {
    list.iter().map(|e| e.name.as_str()).collect()
}

fn all_names(f: &Found) -> Vec<String> {
    f.actors
        .iter()
        .chain(&f.malware)
        .chain(&f.tools)
        .map(|e| e.name.to_lowercase())
        .collect()
}

fn role_of<'a>(list: &'a [NamedEntity], name: &str) -> Option<&'a NamedEntity> {
    list.iter().find(|e| e.name == name)
}

#[test]
fn apt29_is_found_by_its_aliases_and_mapped_to_g0016() {
    for text in [
        "Cozy Bear sent spear-phishing emails to diplomats in March.",
        "Microsoft attributes the intrusion to Midnight Blizzard, which compromised a legacy test tenant.",
        "The NOBELIUM operators moved to cloud identities.",
        "APT29 deployed the WINELOADER backdoor against European embassies.",
    ] {
        let f = found(text);
        let a = f
            .actors
            .first()
            .unwrap_or_else(|| panic!("no actor in {text:?}"));
        assert_eq!(a.name, "APT29", "{text}");
        assert_eq!(a.attack_id.as_deref(), Some("G0016"));
        assert_eq!(a.role, NameRole::Attributed);
        assert_eq!(a.source, NameSource::Attack);
        assert!(a.aliases.iter().any(|x| x == "Cozy Bear"));
        assert_eq!(a.evidence, text);
    }
}

#[test]
fn vendors_products_and_researchers_are_never_reported() {
    let text = "Microsoft Threat Intelligence tracks this actor as Storm-0558. \
        The payload was detected by CrowdStrike Falcon and Microsoft Defender for Endpoint. \
        Mandiant observed UNC3886 exploiting a VMware ESXi zero-day. \
        Researchers at Cisco Talos and Unit 42 shared indicators with CISA. \
        ESET Research named the backdoor after a string in its code, and Carbon Black flagged it.";
    let f = found(text);
    let all = all_names(&f);
    for vendor in [
        "microsoft",
        "microsoft threat intelligence",
        "crowdstrike",
        "crowdstrike falcon",
        "falcon",
        "mandiant",
        "cisco talos",
        "unit 42",
        "cisa",
        "eset",
        "carbon black",
        "carbon",
        "vmware",
    ] {
        assert!(!all.contains(&vendor.to_owned()), "{vendor} in {all:?}");
    }
    assert!(role_of(&f.actors, "Storm-0558").is_some(), "{:?}", f.actors);
    let unc = role_of(&f.actors, "UNC3886").expect("UNC3886");
    assert_eq!(unc.role, NameRole::Attributed);
}

#[test]
fn new_names_introduced_by_naming_phrases_are_extracted() {
    let f = found(
        "Researchers uncovered a previously undocumented botnet named AryStinger that hijacks \
         routers. The intrusions are tracked as UAT-7810.",
    );
    let bot = role_of(&f.malware, "AryStinger").expect("AryStinger");
    assert_eq!(bot.source, NameSource::New);
    assert_eq!(bot.attack_id, None);
    assert_eq!(bot.role, NameRole::Used);
    let uat = role_of(&f.actors, "UAT-7810").expect("UAT-7810");
    assert_eq!(uat.source, NameSource::New);
    assert_eq!(uat.role, NameRole::Attributed);

    let f = found(
        "The attackers installed a previously undocumented backdoor dubbed FIRESTARTER on the \
         Cisco firewalls.",
    );
    assert_eq!(names(&f.malware), ["FIRESTARTER"]);
    assert_eq!(f.malware[0].source, NameSource::New);
    assert!(f.actors.is_empty(), "Cisco is no actor: {:?}", f.actors);
}

#[test]
fn a_known_name_introduced_by_a_naming_phrase_is_reported_once_as_known() {
    let f = found("Mandiant tracks the cluster as UNC3886, and UNC3886 targeted Juniper routers.");
    assert_eq!(names(&f.actors), ["UNC3886"]);
    assert_eq!(f.actors[0].source, NameSource::Attack);
    assert_eq!(f.actors[0].attack_id.as_deref(), Some("G1048"));
}

#[test]
fn ordinary_words_need_supporting_context() {
    let novel = found(
        "Sandworm, the book by Andy Greenberg, is still the best introduction to the field. \
         I reread Sandworm last summer.",
    );
    assert!(novel.actors.is_empty(), "{:?}", novel.actors);
    let actor = found("Sandworm deployed a new wiper against Ukrainian grain exporters.");
    let a = role_of(&actor.actors, "Sandworm Team").expect("Sandworm");
    assert_eq!(a.attack_id.as_deref(), Some("G0034"));
    let lower = found("The sandworm emerged from the desert.");
    assert!(lower.actors.is_empty());
    // Case-aware: a lowercase word is not the malware Royal or the group Play.
    let f = found("The royal family visited; children play outside.");
    assert!(all_names(&f).is_empty(), "{f:?}");
}

#[test]
fn names_in_comparisons_and_history_are_only_mentioned() {
    let f = found(
        "Past threats such as Ryuk, Conti and Maze hit hospitals hard. \
         The new loader is similar to Emotet in how it spreads. \
         Like Ryuk before it, the Akira ransomware deletes shadow copies.",
    );
    for name in ["Ryuk", "Conti", "Emotet"] {
        let e = role_of(&f.malware, name).unwrap_or_else(|| panic!("{name} missing: {f:?}"));
        assert_eq!(e.role, NameRole::Mentioned, "{name}");
    }
    let akira = f.malware.iter().find(|e| e.name == "Akira").expect("Akira");
    assert_eq!(akira.role, NameRole::Used);
    // The article's own threat comes first.
    assert_eq!(f.malware[0].name, "Akira");
}

#[test]
fn comparison_cues_reach_past_adjectives() {
    let f = found(
        "The loader arrives by phishing, similar to earlier Emotet campaigns. \
         Its leak site looks much like the now-defunct Hive ransomware portal. \
         Like the notorious Conti gang, the operators deploy Cobalt Strike.",
    );
    for name in ["Emotet", "Hive ransomware", "Conti"] {
        let e = role_of(&f.malware, name).unwrap_or_else(|| panic!("{name} missing: {f:?}"));
        assert_eq!(e.role, NameRole::Mentioned, "{name}");
    }
    let cs = role_of(&f.tools, "Cobalt Strike")
        .or_else(|| role_of(&f.malware, "Cobalt Strike"))
        .expect("Cobalt Strike");
    assert_eq!(cs.role, NameRole::Used);
}

#[test]
fn tools_used_by_the_attacker_are_not_comparisons() {
    let f = found(
        "The operators used tools like Mimikatz and PsExec, and exfiltrated data with Rclone.",
    );
    for name in ["Mimikatz", "PsExec", "Rclone"] {
        let t = role_of(&f.tools, name).unwrap_or_else(|| panic!("{name}: {f:?}"));
        assert_eq!(t.role, NameRole::Used);
        assert!(t.attack_id.as_deref().is_some_and(|id| id.starts_with('S')));
    }
}

#[test]
fn detection_rule_names_and_out_of_scope_sections_do_not_count() {
    let f = found(
        "The Sigma rule \"HackTool - Mimikatz Execution\" fired on two hosts.\n\
         Detection\n\
         Hunt for Cobalt Strike named pipes and LockBit ransom notes.\n\
         References\n\
         [1] https://example.com/apt28-report APT28 analysis",
    );
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn the_same_name_in_several_roles_keeps_the_strongest() {
    let f = found(
        "Unlike Emotet, QakBot rarely used SMB. Later Emotet dropped Cobalt Strike on the hosts.",
    );
    let emotet = role_of(&f.malware, "Emotet").expect("Emotet");
    assert_eq!(emotet.role, NameRole::Used);
    assert!(emotet.evidence.starts_with("Later Emotet"));
    assert_eq!(role_of(&f.malware, "QakBot").unwrap().role, NameRole::Used);
}

#[test]
fn cluster_schemes_are_actors_but_tactic_ids_are_not() {
    let f = found("TA577 delivered Pikabot; the behaviour maps to TA0001 and TA0002.");
    assert_eq!(names(&f.actors), ["TA577"]);
    assert!(role_of(&f.malware, "Pikabot").is_some());
}

#[test]
fn whole_words_only() {
    let f = found("APT290 and XAPT29 are not groups, nor is Emotetic.");
    assert!(all_names(&f).is_empty(), "{f:?}");
}

#[test]
fn capitalised_words_and_files_are_not_names() {
    // SILICON (Sea Turtle) and ELECTRUM (Sandworm) are Microsoft names; here they are words.
    let f = found(
        "The stealer targets wallets such as Electrum and Exodus and runs natively on Apple \
         Silicon. A dropper named Invoice_2023.iso launched a loader called update.exe.",
    );
    assert!(f.actors.is_empty(), "{:?}", f.actors);
    assert!(
        f.malware.iter().all(|m| m.source != NameSource::New),
        "{:?}",
        f.malware
    );
    // Written as the vendor writes it, or with an actor cue, the name counts.
    let f = found("The Nobelium actor phished diplomats; NOBELIUM later used GoldMax.");
    assert_eq!(f.actors[0].attack_id.as_deref(), Some("G0016"));
}

#[test]
fn a_new_name_that_is_a_known_alias_is_not_new() {
    let f = found("This group, tracked as APT10, deployed the QuasarRAT tool.");
    assert_eq!(f.actors.len(), 1, "{:?}", f.actors);
    assert_eq!(f.actors[0].attack_id.as_deref(), Some("G0045"));
}

#[test]
fn briefings_carry_names_only_for_threat_articles() {
    let kb = crate::KnowledgeBase::embedded().unwrap();
    let article = |title: &str, text: &str| crate::Article {
        title: title.into(),
        url: Some("https://example.com/a".into()),
        sources: vec![],
        published: None,
        text: text.into(),
        body: crate::Body::Full,
    };
    let b = crate::analyze(
        &article(
            "APT29 targets European governments",
            "APT29, also known as Cozy Bear, compromised a government network in May. The actor \
             deployed Cobalt Strike beacons and used Mimikatz to dump credentials.",
        ),
        &kb,
    );
    assert_eq!(names(&b.actors), ["APT29"]);
    assert_eq!(names(&b.malware), ["Cobalt Strike"]);
    assert_eq!(names(&b.tools), ["Mimikatz"]);
    let tutorial = crate::analyze(
        &article(
            "How to install Mimikatz in your home lab",
            "In this step-by-step tutorial you will learn how to install Mimikatz in a lab and \
             run it against a test domain controller. First, download the release from GitHub.",
        ),
        &kb,
    );
    assert_eq!(tutorial.kind, crate::Kind::Tutorial);
    assert!(tutorial.actors.is_empty() && tutorial.malware.is_empty() && tutorial.tools.is_empty());
}

#[test]
fn an_actor_named_once_in_passing_is_only_mentioned() {
    let f = found(
        "APT41 deployed ShadowPad against the telecom in May. Weeks later APT41 returned with \
         Cobalt Strike. One of the domains had appeared in a 2019 Turla report.",
    );
    assert_eq!(
        role_of(&f.actors, "APT41").unwrap().role,
        NameRole::Attributed
    );
    assert_eq!(
        role_of(&f.actors, "Turla").unwrap().role,
        NameRole::Mentioned
    );
    assert_eq!(f.actors[0].name, "APT41");
}

#[test]
fn one_long_unpunctuated_line_of_names_is_one_entry_each() {
    let text = "Cozy Bear Mimikatz Emotet similar to Ryuk, ünïcödé UNC3886 ".repeat(4000);
    let f = found(&text);
    assert_eq!(names(&f.actors), ["APT29", "UNC3886"]);
    assert!(role_of(&f.tools, "Mimikatz").is_some());
}

proptest::proptest! {
    #[test]
    fn arbitrary_text_never_panics(s in "[A-Za-z0-9 ,.\u{e9}\u{2019}\u{1F600}\n-]{0,300}") {
        let f = found(&s);
        for e in f.actors.iter().chain(&f.malware).chain(&f.tools) {
            proptest::prop_assert!(!e.name.is_empty());
        }
    }
}
