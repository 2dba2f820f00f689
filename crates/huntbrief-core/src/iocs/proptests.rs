//! Properties over generated input: any text, no panic; every emitted value re-parses
//! as its type and is its own refanged form; `refang(defang(x)) == x`; a defanged value
//! in prose is found again.

use std::sync::LazyLock;

use proptest::prelude::*;

use super::*;
use crate::model::IocType;

static KB: LazyLock<IocKb> = LazyLock::new(|| {
    IocKb::parse(|name| crate::kb::EMBEDDED.get(name).unwrap_or_default().to_owned()).unwrap()
});

/// Pieces that exercise every rule of the refang pass and the scanner.
const TRICKY: &[&str] = &[
    "[.]",
    "(.)",
    "{.}",
    "[dot]",
    "(dot)",
    " dot ",
    " DOT ",
    "DOT",
    "-dot-",
    "[at]",
    "(at)",
    " AT ",
    " @ ",
    "@",
    "[@]",
    "hxxp",
    "hXXps",
    "h**p",
    "xxxx",
    "fxp",
    "://",
    "[://]",
    "[:]",
    ":",
    "/",
    "//",
    "\\",
    "\\.",
    "^.",
    ".",
    "..",
    "-",
    "_",
    "%3A%2F%2F",
    "%2F",
    "aHR0cHM6Ly9l",
    "\u{200b}",
    "\u{ff0e}",
    "\u{3002}",
    "\u{ff20}",
    "\u{2011}",
    "\u{ad}",
    "é",
    "テスト",
    "😀",
    "evil",
    "com",
    "co.uk",
    "example",
    "1.2.3.4",
    "10.0.0.1",
    "300.1.1.1",
    "01.2.3.4",
    "::1",
    "2001:db8::1",
    "fe80::",
    "CVE-2024-3400",
    "cve-1990-1",
    "AS13335",
    "AS ",
    "0x",
    "bc1q",
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
    "d41d8cd98f00b204e9800998ecf8427e",
    "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
    "HKLM\\Software\\",
    "C:\\Users\\",
    "%APPDATA%\\",
    "/tmp/",
    "x.exe",
    "readme.md",
    "user.id",
    "@scope/pkg@1.2.3",
    "pkg==1.0.0",
    "malicious npm package",
    "commit ",
    "thumbprint ",
    "@sha256:",
    "version ",
    "Indicators of Compromise\n",
    "## References\n",
    "| Domain | Note |\n",
    "\n",
    "\n\n",
    " ",
    "\t",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "'",
    ",",
    ";",
    "|",
    "=",
    "?",
    "&",
    "#",
    // Issue 18's forms.
    "hxxt",
    "hXXts[:]//",
    "[.com]",
    "(.co.za)",
    "co.za",
    "stratum+tcp://",
    "tcp://",
    ":3333",
    ".443",
    "203.0.113.7",
    "imphash ",
    "Thumbprint: ",
    "fingerprint = ",
    "WScript.Shell",
    "[UNIX timestamp]",
    "?u=https%3A%2F%2F",
    "*.",
    "](",
    "the second host (",
];

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(TRICKY).prop_map(str::to_owned),
        1 => "[a-z0-9]{1,12}",
        1 => any::<String>(),
    ]
}

fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(fragment(), 0..40).prop_map(|v| v.concat())
}

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?"
}

fn domain() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(label(), 1..4),
        proptest::sample::select(&["com", "net", "org", "ru", "io", "co.uk", "xyz", "top"][..]),
    )
        .prop_map(|(labels, tld)| format!("{}.{tld}", labels.join(".")))
        .prop_filter("a valid name", |d| {
            validate::domain::parse(d).is_some_and(|p| p.value == *d)
        })
}

fn ipv4() -> impl Strategy<Value = String> {
    any::<[u8; 4]>().prop_map(|o| std::net::Ipv4Addr::from(o).to_string())
}

fn url() -> impl Strategy<Value = String> {
    (
        proptest::sample::select(&["http", "https", "ftp", "tcp"][..]),
        domain(),
        proptest::option::of(1u16..),
        "(/[A-Za-z0-9._~-]{0,12}){0,3}(\\?[a-z]{1,5}=[A-Za-z0-9]{0,6})?",
    )
        .prop_map(|(s, h, port, path)| match port {
            Some(p) => format!("{s}://{h}:{p}{path}"),
            None => format!("{s}://{h}{path}"),
        })
        .prop_filter("a canonical URL not ending in sentence punctuation", |u| {
            validate::url::parse(u).is_some_and(|p| p.value() == *u)
                && refang(u) == *u
                && !u.ends_with(['.', ',', ';', ':', '!', '?', '*'])
        })
}

proptest! {
    // 600 cases by default; PROPTEST_CASES=100000 for a longer fuzzing run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(600),
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_text_gives_valid_round_tripping_values(text in text()) {
        for i in extract(&text, &KB, None) {
            prop_assert!(is_valid(i.kind, &i.value), "{:?} in {:?}", i, text);
            prop_assert_eq!(refang(&i.value), i.value.clone());
            prop_assert_eq!(refang(&i.defanged), i.value.clone(), "{:?}", i);
            prop_assert!(text.is_char_boundary(i.offset) && i.offset <= text.len());
        }
    }

    #[test]
    fn arbitrary_unicode_never_panics(text in any::<String>()) {
        let _ = extract(&text, &KB, Some(&text));
        let _ = refang(&text);
    }

    #[test]
    fn refang_undoes_defang(d in domain(), ip in ipv4(), u in url(), local in "[a-z0-9]([a-z0-9._+-]{0,8}[a-z0-9])?", port in 1u16..) {
        let email = format!("{local}@{d}");
        prop_assume!(!email.contains(".."));
        let socket = format!("{ip}:{port}");
        for (kind, v) in [
            (IocType::Domain, d.as_str()),
            (IocType::Ipv4, ip.as_str()),
            (IocType::Url, u.as_str()),
            (IocType::Email, email.as_str()),
            (IocType::Socket, socket.as_str()),
        ] {
            prop_assert_eq!(refang(&defang(kind, v)), v);
        }
    }

    #[test]
    fn a_defanged_value_in_prose_is_found(d in domain(), u in url()) {
        let text = format!("The implant beacons to {} and fetches {} every hour.", defang(IocType::Domain, &d), defang(IocType::Url, &u));
        let found = extract(&text, &KB, None);
        prop_assert!(found.iter().any(|i| i.kind == IocType::Domain && i.value == d), "{} in {:?}", d, found);
        prop_assert!(found.iter().any(|i| i.kind == IocType::Url && i.value == u), "{} in {:?}", u, found);
    }

    #[test]
    fn a_socket_in_prose_keeps_its_address_and_port(o in any::<[u8; 4]>(), port in 1u16..) {
        let ip = std::net::Ipv4Addr::from(o).to_string();
        let socket = format!("{ip}:{port}");
        for text in [
            format!("The implant connects to {} over TLS.", defang(IocType::Socket, &socket)),
            format!("The miner uses stratum+tcp://{socket} as its pool."),
        ] {
            let found = extract(&text, &KB, None);
            prop_assert!(found.iter().any(|i| i.kind == IocType::Socket && i.value == socket), "{} in {:?}", socket, found);
            prop_assert!(found.iter().any(|i| i.kind == IocType::Ipv4 && i.value == ip), "{} in {:?}", ip, found);
        }
    }
}
