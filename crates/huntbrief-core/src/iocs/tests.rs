//! End-to-end tests of the extractor on real-looking article text, one per rule.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use super::*;
use crate::model::{Fidelity, IocType};

static KB: LazyLock<IocKb> = LazyLock::new(|| {
    IocKb::parse(|name| crate::kb::EMBEDDED.get(name).unwrap_or_default().to_owned()).unwrap()
});

fn all(text: &str) -> Vec<Indicator> {
    extract(text, &KB, None)
}

fn high(text: &str) -> BTreeMap<&'static str, Vec<String>> {
    high_fidelity_by_type(&all(text))
}

fn fidelity_of(found: &[Indicator], value: &str) -> Option<Fidelity> {
    found.iter().find(|i| i.value == value).map(|i| i.fidelity)
}

#[track_caller]
fn assert_high(text: &str, kind: &str, values: &[&str]) {
    let got = high(text);
    let want: Vec<String> = {
        let mut v: Vec<String> = values.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(
        got.get(kind).cloned().unwrap_or_default(),
        want,
        "{kind} in {text:?}: {got:?}"
    );
}

#[test]
fn defanged_indicators_in_a_report_are_high_fidelity() {
    let text = "The dropper fetched its second stage from hxxps://cdn-update[.]net/a/b.php and \
                then beaconed to 45.137.21[.]9 over TLS. Victims also received mail from \
                billing[at]invoice-notice(.)com with links to login-m1crosoft[dot]com.";
    assert_high(text, "url", &["https://cdn-update.net/a/b.php"]);
    assert_high(text, "ipv4", &["45.137.21.9"]);
    assert_high(text, "email", &["billing@invoice-notice.com"]);
    assert_high(text, "domain", &["login-m1crosoft.com"]);
}

#[test]
fn values_carry_defanged_form_offset_and_sentence() {
    let text = "Background first. The implant beacons to evil-c2[.]net every minute. Done.";
    let found = all(text);
    let d = found.iter().find(|i| i.kind == IocType::Domain).unwrap();
    assert_eq!(d.value, "evil-c2.net");
    assert_eq!(d.defanged, "evil-c2[.]net");
    assert!(text[d.offset..].starts_with("evil-c2[.]net"));
    assert_eq!(
        d.evidence,
        "The implant beacons to evil-c2[.]net every minute."
    );
}

#[test]
fn non_global_addresses_are_never_high() {
    let text = "Indicators of Compromise\n\n10.10.5[.]20\n192.168.1[.]1\n127.0.0.1\n\
                198.51.100[.]7\n203.0.113.9\n224.0.0[.]251\n169.254.169.254\nfd00::1\n\
                185.220.101[.]45\n";
    let found = all(text);
    for ip in [
        "10.10.5.20",
        "192.168.1.1",
        "127.0.0.1",
        "198.51.100.7",
        "203.0.113.9",
        "224.0.0.251",
        "169.254.169.254",
        "fd00::1",
    ] {
        let f = fidelity_of(&found, ip);
        assert!(
            matches!(f, Some(Fidelity::Medium | Fidelity::Low)),
            "{ip}: {f:?}"
        );
    }
    assert_eq!(fidelity_of(&found, "185.220.101.45"), Some(Fidelity::High));
    // A URL on a private address is not high either.
    let url = all("Payload: hxxp://192.168.10[.]5:8080/x.exe");
    assert_ne!(
        fidelity_of(&url, "http://192.168.10.5:8080/x.exe"),
        Some(Fidelity::High)
    );
}

#[test]
fn file_names_are_not_domains() {
    let text = "The script launches cmd.exe, then node.js runs app.js; see readme.md and \
                config.php. Finally install.sh and setup.py are removed.";
    let found = all(text);
    assert!(found.iter().all(|i| i.kind != IocType::Domain), "{found:?}");
    // Payload names are file names (not high in prose, never system binaries).
    assert_eq!(fidelity_of(&found, "cmd.exe"), Some(Fidelity::Low));
    assert_eq!(fidelity_of(&found, "node.js"), Some(Fidelity::Low));
    // Defanged, the same shapes are domains the author points at.
    assert_high(
        "C2: update-check[.]sh and files[.]zip",
        "domain",
        &["files.zip", "update-check.sh"],
    );
}

#[test]
fn code_members_and_run_together_sentences_are_not_domains() {
    let text = "In the handler, user.id and self.name are read before event.target fires. \
                The attackers pivoted to finance systems.In March they returned.";
    assert!(
        all(text).iter().all(|i| i.kind != IocType::Domain),
        "{:?}",
        all(text)
    );
}

#[test]
fn references_are_not_iocs_unless_marked() {
    let text = "Read the advisory at https://nvd.nist.gov/vuln/detail/CVE-2024-3400 and the \
                technique page https://attack.mitre.org/techniques/T1190/. The PoC is on \
                https://github.com/someone/cve-2024-3400-poc and the package on \
                https://www.npmjs.com/package/left-pad. BleepingComputer.com first reported it, \
                citing virustotal.com results.";
    let got = high(text);
    assert_eq!(got.keys().collect::<Vec<_>>(), vec![&"cve"], "{got:?}");
    // Defanged, a reference-looking host is what the author reports.
    assert_high(
        "The payload was hosted at hxxps://raw.githubusercontent[.]com/x/y/main/s.ps1",
        "url",
        &["https://raw.githubusercontent.com/x/y/main/s.ps1"],
    );
}

#[test]
fn the_publishers_own_site_is_a_reference() {
    let text = "More research at https://research.vendor-labs.com/blog/ and contact \
                press@vendor-labs.com. The C2 was https://bad-actor-panel.com/login.";
    let found = extract(text, &KB, Some("https://vendor-labs.com/blog/post-1"));
    let high = high_fidelity_by_type(&found);
    assert_eq!(
        high.get("url").cloned().unwrap_or_default(),
        vec!["https://bad-actor-panel.com/login"]
    );
    assert!(!high.contains_key("email"), "{high:?}");
}

#[test]
fn hosting_service_subdomains_are_judged_like_any_domain() {
    assert_high(
        "The phishing kit was served from secure-docs-login.weebly.com to victims.",
        "domain",
        &["secure-docs-login.weebly.com"],
    );
    assert_high(
        "Files were shared via dropbox.com and onedrive.",
        "domain",
        &[],
    );
}

#[test]
fn ioc_sections_and_lists_raise_fidelity_prose_needs_a_cue() {
    let text = "Our partners at acme-analytics.io helped with this research.\n\n\
                The loader connects to sync-telemetry.org for tasks.\n\n\
                Indicators of Compromise\n\n\
                - cdn-assets-store.com\n\
                - 91.215.85.17\n\
                - github.com\n";
    let found = all(text);
    assert_eq!(
        fidelity_of(&found, "acme-analytics.io"),
        Some(Fidelity::Medium)
    );
    assert_eq!(
        fidelity_of(&found, "sync-telemetry.org"),
        Some(Fidelity::High)
    );
    assert_eq!(
        fidelity_of(&found, "cdn-assets-store.com"),
        Some(Fidelity::High)
    );
    assert_eq!(fidelity_of(&found, "91.215.85.17"), Some(Fidelity::High));
    // Listed in the indicator section, even a popular site counts as the author's IOC.
    assert_eq!(fidelity_of(&found, "github.com"), Some(Fidelity::High));
}

#[test]
fn an_ioc_section_ends_at_the_next_heading() {
    let text =
        "## IOCs\n\nevil-one.com\n\n## References\n\n- github.com/vendor/iocs\n- kaspersky.com\n";
    let found = all(text);
    assert_eq!(fidelity_of(&found, "evil-one.com"), Some(Fidelity::High));
    assert_eq!(fidelity_of(&found, "kaspersky.com"), Some(Fidelity::Low));
    assert_ne!(
        fidelity_of(&found, "github.com/vendor/iocs"),
        Some(Fidelity::High)
    );
}

#[test]
fn commit_shas_thumbprints_digests_and_checksums_are_not_file_hashes() {
    let text = "The flaw was fixed in commit 3f786850e387550fdab836ed7e6dc881de23001b of the \
                project (see https://github.com/org/proj/commit/89e6c98d92887913cadf06b2adb97f26cde4849b).\n\
                Certificate thumbprint: 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12\n\
                docker pull ghcr.io/org/app@sha256:a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447\n\
                SHA256 checksum: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n\
                JA3: e7d705a3286e19ea42f587b344ee6865\n\
                The dropper (SHA256 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8) \
                installs the backdoor.\n";
    let found = all(text);
    let hashes: Vec<_> = found.iter().filter(|i| i.kind.is_hash()).collect();
    assert_eq!(
        hashes
            .iter()
            .map(|i| (i.value.as_str(), i.fidelity))
            .collect::<Vec<_>>(),
        vec![
            (
                "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                Fidelity::Low
            ),
            (
                "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
                Fidelity::High
            ),
        ]
    );
}

#[test]
fn hashes_are_exact_standalone_hex() {
    let text = "md5 68b329da9893e34099c7d8ad5cb9c940, not 68b329da9893e34099c7d8ad5cb9c9401 \
                nor x68b329da9893e34099c7d8ad5cb9c940 nor 0x5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 \
                nor 00000000000000000000000000000000 nor the empty file d41d8cd98f00b204e9800998ecf8427e.";
    assert_high(text, "md5", &["68b329da9893e34099c7d8ad5cb9c940"]);
    assert_high(text, "sha256", &[]);
    // A sample named by its hash.
    assert_high(
        "Dropped: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8.bin",
        "sha256",
        &["5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"],
    );
}

#[test]
fn version_numbers_are_not_addresses() {
    let text = "Citrix fixed it in version 13.1.49.15 and build 14.1.12.30; the scanner came \
                from 103.75.190.12.";
    assert_high(text, "ipv4", &["103.75.190.12"]);
    let all_found = all(text);
    assert!(fidelity_of(&all_found, "13.1.49.15").is_none());
    // Leading zeros, octets over 255, five parts: not dotted quads.
    assert!(
        all("see 01.2.3.4, 300.1.1.1 and 1.2.3.4.5 here")
            .iter()
            .all(|i| i.kind != IocType::Ipv4)
    );
}

#[test]
fn cidr_blocks_and_ip_ports() {
    let text = "Block 185.220.101.0/24 and watch 91.92.240.10:8443 for beacons.";
    let found = all(text);
    assert!(fidelity_of(&found, "185.220.101.0").is_none());
    assert_eq!(fidelity_of(&found, "91.92.240.10"), Some(Fidelity::High));
}

#[test]
fn cves_need_a_plausible_year() {
    assert_high(
        "Exploits for cve-2021-44228 and CVE-2024-3094, not CVE-1888-1234 or CVE-20100-0000.",
        "cve",
        &["CVE-2021-44228", "CVE-2024-3094"],
    );
}

#[test]
fn urls_end_at_punctuation_and_unbalanced_brackets() {
    let text = "Payloads (hxxp://dl.bad-host[.]ru/a.exe), \"hxxps://x.bad-host[.]ru/p?id=1\". \
                Also hxxp://wiki-clone[.]info/Foo_(bar) and hxxps://bad-host[.]ru/x.";
    assert_high(
        text,
        "url",
        &[
            "http://dl.bad-host.ru/a.exe",
            "http://wiki-clone.info/Foo_(bar)",
            "https://bad-host.ru/x",
            "https://x.bad-host.ru/p?id=1",
        ],
    );
}

#[test]
fn urls_inside_urls_and_encoded_urls() {
    let text = "Redirect: hxxps://t.co-redirect[.]com/r?u=https%3A%2F%2Fpayload-drop.net%2Fs.js\n\
                Decoded config: aHR0cHM6Ly9ldmlsLWNvbmZpZy5uZXQvY2ZnLmJpbg==\n";
    let got = high(text);
    let urls = got.get("url").cloned().unwrap_or_default();
    assert!(
        urls.contains(&"https://payload-drop.net/s.js".to_owned()),
        "{urls:?}"
    );
    assert!(
        urls.contains(&"https://evil-config.net/cfg.bin".to_owned()),
        "{urls:?}"
    );
}

#[test]
fn emails_senders_are_high_contact_boxes_are_not() {
    let text = "The phishing mails came from hr-benefits@payroll-notice.com. For questions \
                write to security@acme-corp.com or press@acme-corp.com.";
    let found = all(text);
    assert_eq!(
        fidelity_of(&found, "hr-benefits@payroll-notice.com"),
        Some(Fidelity::High)
    );
    assert_eq!(
        fidelity_of(&found, "security@acme-corp.com"),
        Some(Fidelity::Medium)
    );
}

#[test]
fn wallets_asns_registry_paths_and_packages() {
    let text = "Victims were told to pay 0.5 BTC to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa.\n\
                The servers sit in AS 202425 (bulletproof hosting).\n\
                Persistence: HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\updater\n\
                It copies itself to C:\\Users\\Public\\Program Data\\svc-host.exe for later.\n\
                The malicious npm package event-stream@3.3.6 pulled flatmap-stream@0.1.1.\n";
    let got = high(text);
    assert_eq!(
        got.get("btc").cloned().unwrap_or_default(),
        vec!["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"]
    );
    assert_eq!(
        got.get("asn").cloned().unwrap_or_default(),
        vec!["AS202425"]
    );
    assert_eq!(
        got.get("registry").cloned().unwrap_or_default(),
        vec!["HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\updater"]
    );
    assert_eq!(
        got.get("package").cloned().unwrap_or_default(),
        vec!["pkg:npm/event-stream@3.3.6", "pkg:npm/flatmap-stream@0.1.1"]
    );
    let found = all(text);
    assert!(found.iter().any(|i| i.kind == IocType::Filepath
        && i.value == "C:\\Users\\Public\\Program Data\\svc-host.exe"));
    // Without a malicious context a package version is no indicator.
    assert!(
        all("Upgrade lodash@4.17.21 to fix the bug.")
            .iter()
            .all(|i| i.kind != IocType::Package)
    );
}

#[test]
fn each_value_once_at_its_best_fidelity() {
    let text = "Researchers saw update-srv.net in traffic.\n\nIOCs\n\nupdate-srv[.]net\n";
    let found = all(text);
    let hits: Vec<_> = found
        .iter()
        .filter(|i| i.value == "update-srv.net")
        .collect();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].fidelity, Fidelity::High);
    assert!(text[hits[0].offset..].starts_with("update-srv[.]net"));
}

#[test]
fn every_emitted_value_reparses_and_refangs_from_its_defanged_form() {
    let text = "hxxp://a-b[.]com/x?y=1 1.2.3[.]4 bob[@]evil[.]org 2001:4860:4860::8888 \
                CVE-2023-4966 AS13335 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b856";
    for i in all(text) {
        assert!(is_valid(i.kind, &i.value), "{i:?}");
        assert_eq!(refang(&i.defanged), i.value, "{i:?}");
    }
}

#[test]
fn nothing_in_plain_prose() {
    let text = "The dot com bubble burst in 2000. At 3.5 percent, e.g. in the U.S., \
                growth (at least 2.1.3) was slow. Node.js and Vue.js are frameworks.";
    let found = all(text);
    assert!(
        found.iter().all(|i| i.fidelity != Fidelity::High),
        "{found:?}"
    );
}

#[test]
fn hostile_inputs_stay_linear() {
    let patterns = [
        "[.]",
        "a.",
        "@",
        "a@",
        "://",
        "http://",
        "hxxp[://]",
        "(",
        "[",
        "1.",
        "1:",
        ":",
        "%3a%2f%2f",
        "aHR0cHM6Ly9",
        "\\",
        "C:\\",
        "HKLM\\",
        "0",
        "a",
        "AS ",
        " dot ",
        "\u{200b}",
        "-dot-",
        "x.com/",
        "[at]",
    ];
    for p in patterns {
        let text = p.repeat(200_000 / p.len());
        let t0 = std::time::Instant::now();
        let found = all(&text);
        let took = t0.elapsed();
        assert!(
            took.as_secs() < 5,
            "{p:?} x{}: {took:?}",
            text.len() / p.len()
        );
        assert!(found.len() <= text.len());
    }
}

#[test]
fn system_binaries_are_indicators_only_away_from_home() {
    let text = "It runs C:\\Windows\\System32\\svchost.exe as usual, but also drops \
                C:\\Users\\Public\\svchost.exe and update.exe next to it.";
    let found = all(text);
    assert_eq!(
        fidelity_of(&found, "C:\\Windows\\System32\\svchost.exe"),
        Some(Fidelity::Low)
    );
    assert_eq!(
        fidelity_of(&found, "C:\\Users\\Public\\svchost.exe"),
        Some(Fidelity::High)
    );
    assert_eq!(fidelity_of(&found, "svchost.exe"), None);
    assert_eq!(fidelity_of(&found, "update.exe"), Some(Fidelity::High));
}

#[test]
fn messy_defangs_of_addresses_and_links() {
    for s in [
        "111[.111.]111[.111",
        "45.45.45.]]]45",
        "45[[[[.]]]]45[[[.]]45[.45",
        "45(((.]]]]45([[.)45.)45",
        "45.45.45\\\\\\\\.45",
    ] {
        assert_high(
            s,
            "ipv4",
            &[&s.chars()
                .filter(|c| c.is_ascii_digit() || *c == '.')
                .collect::<String>()
                .split('.')
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join(".")],
        );
    }
    for s in [
        "hxxp://example[.com/test",
        "hxxp://example.]com/test",
        "hxxp://exampledot]com/test",
        "hxxp://example[dotcom/test",
        "hxxp://example.com[/test",
        "http__example.com/test",
        "ftx://example.com/test",
        "http://example(.)com(/)test",
        "Seehttp://example.com/test",
        "687474703a2f2f6578616d706c652e636f6d2f74657374",
    ] {
        let want = if s.starts_with("ftx") {
            "ftp://example.com/test"
        } else {
            "http://example.com/test"
        };
        assert_high(s, "url", &[want]);
    }
    // Outside a defanged link a lone bracket stays punctuation.
    assert_high("www[.example[.com", "domain", &[]);
    assert_high(
        "myuser@example  [  .  ]   com",
        "email",
        &["myuser@example.com"],
    );
    assert_high(
        "words68b329da9893e34099c7d8ad5cb9c940words",
        "md5",
        &["68b329da9893e34099c7d8ad5cb9c940"],
    );
}

#[test]
fn a_flood_of_indicators_is_capped_high_fidelity_first() {
    // Domains named in passing (not high fidelity), then hashes of the dropped files and
    // the C2 servers (high fidelity).
    let mut text = String::new();
    for i in 0..300u32 {
        text.push_str(&format!(
            "See also the write-up at research-{i}.example.org today.\n"
        ));
    }
    text.push_str("The loader dropped these files:\n");
    for i in 0..300u32 {
        text.push_str(&format!("{:032x}\n", 0x9e37_79b9_u128 * u128::from(i + 1)));
    }
    text.push_str("The implant beacons to the C2 servers 185.220.101.45 and 185.220.101.46.\n");
    let mut found = all(&text);
    let total = found.len();
    let high: Vec<String> = found
        .iter()
        .filter(|i| i.fidelity == Fidelity::High)
        .map(|i| i.value.clone())
        .collect();
    assert!(high.iter().any(|v| v == "185.220.101.45"), "{high:?}");
    let lower = total - high.len();
    assert!(
        lower > 100 && high.len() > 100,
        "{lower} lower, {} high",
        high.len()
    );
    assert!(
        found[0].fidelity != Fidelity::High,
        "lower-fidelity indicators come first in the text"
    );

    let max = high.len() + 10;
    let cut = cap(&mut found, max);
    assert_eq!((found.len(), cut), (max, total - max));
    for v in &high {
        assert!(found.iter().any(|i| &i.value == v), "{v} was cut");
    }
    let offsets: Vec<usize> = found.iter().map(|i| i.offset).collect();
    assert!(offsets.is_sorted(), "order of appearance is kept");
    assert_eq!(cap(&mut found, max), 0, "under the cap nothing changes");
}

// Issue 18: the error classes seen in held-out reports, one test each, on text we wrote.

/// Every indicator of `kind` found, at any fidelity.
fn values(found: &[Indicator], kind: IocType) -> Vec<&str> {
    found
        .iter()
        .filter(|i| i.kind == kind)
        .map(|i| i.value.as_str())
        .collect()
}

#[test]
fn class1_defanged_schemes_bracketed_tlds_and_dots_in_paths() {
    let text = "Stage two came from hxxts[:]//update-relay[.]net/dl/stage.bin and the \
                fallback hXXp://mirror-cache[.]org/x.php. The dropper also used \
                h**p[://]relay-node[.]top/gate and hxxt://sync-node(.)co(.)za/p. \
                Lures were sent from billing[@]invoice-portal[.com] and \
                hr(at)payroll-notice(.co.uk). The payload sat at \
                hxxps://files-drop[.]net/upd/setup[dot]exe and hxxps://files-drop[.]net/a(dot)b/c.js";
    assert_high(
        text,
        "url",
        &[
            "https://update-relay.net/dl/stage.bin",
            "http://mirror-cache.org/x.php",
            "http://relay-node.top/gate",
            "http://sync-node.co.za/p",
            "https://files-drop.net/upd/setup.exe",
            "https://files-drop.net/a.b/c.js",
        ],
    );
    assert_high(
        text,
        "email",
        &["billing@invoice-portal.com", "hr@payroll-notice.co.uk"],
    );
    // Prose brackets stay prose: "(.com)" after a space, "[.NET]" is no top-level domain.
    let prose = "Sites (.com) and apps [.NET] are fine. The word fix(.) stays.";
    assert!(all(prose).is_empty(), "{:?}", all(prose));
}

#[test]
fn class2_sockets_keep_the_address_and_record_the_port() {
    let text = "The miner connects to stratum+tcp://203.0.113.7:3333 and the relay to \
                tcp://198.51.100.23:8443, wss://192.0.2.10:9001/ws and udp://203.0.113.8:53.\n\
                netstat -an showed:\n  tcp4  0  0  192.0.2.44.443  ESTABLISHED\n  \
                tcp  198.51.100.9:4444  ESTABLISHED\n";
    let found = all(text);
    let ips = values(&found, IocType::Ipv4);
    for ip in [
        "203.0.113.7",
        "198.51.100.23",
        "192.0.2.10",
        "203.0.113.8",
        "192.0.2.44",
        "198.51.100.9",
    ] {
        assert!(ips.contains(&ip), "{ip} in {ips:?}");
    }
    let sockets = values(&found, IocType::Socket);
    for s in [
        "203.0.113.7:3333",
        "198.51.100.23:8443",
        "192.0.2.10:9001",
        "203.0.113.8:53",
        "192.0.2.44:443",
        "198.51.100.9:4444",
    ] {
        assert!(sockets.contains(&s), "{s} in {sockets:?}");
    }
    assert!(
        values(&found, IocType::Url).contains(&"stratum+tcp://203.0.113.7:3333"),
        "{found:?}"
    );
    // A global address with its port is high where the address is.
    assert_high(
        "C2 server: 45.61.136.12:8080\n",
        "socket",
        &["45.61.136.12:8080"],
    );
    // Versions and OIDs are not sockets: one-digit last parts, more than five parts.
    let found = all("Version 10.2.3.4.5 and OID 1.3.6.1.4.1.311 were seen.");
    assert!(values(&found, IocType::Socket).is_empty(), "{found:?}");
}

#[test]
fn class3_url_boundaries() {
    // A placeholder in brackets ends the link before it.
    let text = "The beacon calls hxxps://telemetry-sync[.]net/api/v2?time=[UNIX timestamp]&id=1 \
                and hxxps://telemetry-sync[.]net/u/[victim id]/cfg every hour.";
    assert_high(
        text,
        "url",
        &[
            "https://telemetry-sync.net/api/v2?time=",
            "https://telemetry-sync.net/u/",
        ],
    );
    // Parameters with brackets are part of the link.
    let text = "The kit posts to hxxps://panel-login[.]net/x.php?user[name]=a&b[]=1 first.";
    assert_high(
        text,
        "url",
        &["https://panel-login.net/x.php?user[name]=a&b[]=1"],
    );
    // A link wrapped across a line break in a PDF dump is one link, not two cut ones.
    let text = "Figure 3 shows the download URL used by the loader in this campaign: hxxps://cdn-\
                storage-sync[.]net/wp-content/uploads/2024/\nupdate/client-x64.exe?ver=3 was \
                fetched.\n";
    let found = all(text);
    let urls = values(&found, IocType::Url);
    assert_eq!(
        urls,
        ["https://cdn-storage-sync.net/wp-content/uploads/2024/update/client-x64.exe?ver=3"],
        "{found:?}"
    );
    // A list of one link per line is not joined.
    let list = "Indicators of Compromise\n\nhxxps://first-relay[.]net/a/b/c/d/e/f/g/h/i/\n\
                second-relay[.]net/x/y\n";
    assert_high(
        list,
        "url",
        &[
            "https://first-relay.net/a/b/c/d/e/f/g/h/i/",
            "second-relay.net/x/y",
        ],
    );
    // An encoded link in another's query: the outer as written, the inner decoded.
    let text = "The lure linked hxxp://r.redirect-hop[.]com/?u=https%3A%2F%2Fpayload-host.net\
                %2Fa%2Fb.php&x=1 in the mail.";
    assert_high(
        text,
        "url",
        &[
            "http://r.redirect-hop.com/?u=https%3A%2F%2Fpayload-host.net%2Fa%2Fb.php&x=1",
            "https://payload-host.net/a/b.php",
        ],
    );
}
#[test]
fn class4_code_identifiers_labelled_digests_and_path_layouts() {
    // Programmatic identifiers whose last part is a TLD are not domains.
    let text = "Set sh = CreateObject(\"WScript.Shell\")\n\
                Set fso = CreateObject(\"Scripting.FileSystemObject\")\n\
                $wc = New-Object System.Net.WebClient; $app = New-Object -ComObject Shell.Application\n\
                The script also loads Microsoft.XMLHTTP and ADODB.Stream.";
    let found = all(text);
    assert!(values(&found, IocType::Domain).is_empty(), "{found:?}");
    assert!(values(&found, IocType::Url).is_empty(), "{found:?}");
    // A digest labelled as another kind of hash is typed as that, not as a file hash.
    let imphash = "1f3b6c9a2e4d5f708192a3b4c5d6e7f8";
    let thumb = "3c1d8e2f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d";
    let cert256 = "9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9";
    let text = format!(
        "The sample's imphash is {imphash}.\nCertificate thumbprint: {thumb}\n\
         Signer certificate SHA256 {cert256}\nAuthentihash: {cert256}\n\
         ssdeep 3072:{imphash}\n"
    );
    let found = all(&text);
    assert_eq!(values(&found, IocType::Imphash), [imphash]);
    assert_eq!(values(&found, IocType::X509Sha1), [thumb]);
    assert_eq!(values(&found, IocType::X509Sha256), [cert256]);
    for kind in [IocType::Md5, IocType::Sha1, IocType::Sha256] {
        assert!(values(&found, kind).is_empty(), "{kind:?} in {found:?}");
    }
    // A path layout in a sentence about folders is not a link.
    let text = "The kit keeps one folder per victim, so the folder structure looks like \
                drive-sync.com/dir/me~ on the server.";
    assert!(!high(text).contains_key("url"), "{:?}", all(text));
}

#[test]
fn class5_references_documentation_assets_and_named_services() {
    let text = "The actor abused legitimate services such as windows[.]net, microsoft[.]com \
                and onedrive[.]com to host the lure, then moved to cdn-lure-files[.]net.\n\n\
                Indicators of Compromise\n\n\
                - hxxps://cdn-lure-files[.]net/a/b.zip\n\
                - https://learn.microsoft.com/en-us/defender-endpoint/attack-surface-reduction\n\
                - https://docs.github.com/en/code-security/secret-scanning\n\
                - https://threatlab-blog.com/wp-content/uploads/2024/05/fig3-chain.png\n\n\
                Recommendations\n\n\
                - https://blue-team-guide.org/hardening/office-macros\n\n\
                Further reading\n\n\
                https://another-vendor-research.com/blog/2024/loader-analysis\n";
    let got = high(text);
    assert_eq!(
        got.get("url").cloned().unwrap_or_default(),
        ["https://cdn-lure-files.net/a/b.zip"],
        "{got:?}"
    );
    assert_eq!(
        got.get("domain").cloned().unwrap_or_default(),
        ["cdn-lure-files.net"],
        "{got:?}"
    );
    // The publisher's own images are references too, with its URL given.
    let text = "Figure 2: https://threatlab-blog.com/images/fig2.jpg shows the chain.";
    let found = extract(text, &KB, Some("https://threatlab-blog.com/research/x"));
    assert!(
        found.iter().all(|i| i.fidelity != Fidelity::High),
        "{found:?}"
    );
    // A subdomain of a named service is judged like any other name.
    assert_high(
        "The stealer exfiltrates to exfil-drop[.]blob.core.windows[.]net.",
        "domain",
        &["exfil-drop.blob.core.windows.net"],
    );
}

#[test]
fn class6_payload_links_in_dumps_and_links_after_a_cue() {
    let text = "Proxy log excerpt:\n\
                2024-05-01 10:02:11 GET http://cdn-stage-files.net/files/update.exe 200\n\
                2024-05-01 10:02:14 GET http://cdn-stage-files.net/t/run.ps1 200\n\
                2024-05-01 10:02:19 GET http://cdn-stage-files.net/about 200\n\n\
                The victims were sent to [the phishing page](https://login-verify-portal.com/auth) \
                and then to the second host (https://docs-share-view.net/v/1).\n";
    let got = high(text);
    let urls = got.get("url").cloned().unwrap_or_default();
    for u in [
        "http://cdn-stage-files.net/files/update.exe",
        "http://cdn-stage-files.net/t/run.ps1",
        "https://login-verify-portal.com/auth",
        "https://docs-share-view.net/v/1",
    ] {
        assert!(urls.contains(&u.to_owned()), "{u} in {urls:?}");
    }
    assert!(
        !urls.contains(&"http://cdn-stage-files.net/about".to_owned()),
        "{urls:?}"
    );
}

#[test]
fn class7_mixed_case_yara_meta_thumbprints_and_wildcards() {
    let sha256 = "Ae00b0f4c1d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3";
    let md5 = "9b8C7d6E5f4A3b2C1d0E9f8A7b6C5d4E";
    let fp = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
    let thumb = "aa11bb22cc33dd44ee55ff6677889900aabbccdd";
    let text = format!(
        "The dropper ({sha256}) loads a DLL ({md5}).\n\n\
         rule Loader_X {{\n  meta:\n    author = \"team\"\n    hash = \"{sha256}\"\n\
         \x20   fingerprint = \"{fp}\"\n  condition:\n    true\n}}\n\n\
         Thumbprint: {thumb}\n\n\
         The kit answers for *.invoice-secure[.]co[.]za and *.pay-portal[.]com[.]br.\n"
    );
    let found = all(&text);
    let low = |s: &str| s.to_ascii_lowercase();
    assert!(
        values(&found, IocType::Sha256).contains(&low(sha256).as_str()),
        "{found:?}"
    );
    assert!(values(&found, IocType::Sha256).contains(&fp), "{found:?}");
    assert!(
        values(&found, IocType::Md5).contains(&low(md5).as_str()),
        "{found:?}"
    );
    assert_eq!(values(&found, IocType::X509Sha1), [thumb]);
    let got = high(&text);
    let domains = got.get("domain").cloned().unwrap_or_default();
    for d in ["invoice-secure.co.za", "pay-portal.com.br"] {
        assert!(domains.contains(&d.to_owned()), "{d} in {domains:?}");
    }
    assert_eq!(got.get("sha256").map(Vec::len), Some(2), "{got:?}");
}
