//! Special-purpose address blocks (`data/iocs/special-ranges.toml`): which addresses are
//! reachable on the public Internet.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Deserialize;

use crate::kb::KbError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    v4: Vec<Entry>,
    v6: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    prefix: String,
    name: String,
    global: bool,
}

#[derive(Debug, Clone)]
struct Block<T> {
    net: T,
    len: u8,
    global: bool,
    name: String,
}

/// The blocks, most specific first, so the first match decides.
#[derive(Debug)]
pub struct SpecialRanges {
    v4: Vec<Block<u32>>,
    v6: Vec<Block<u128>>,
}

impl SpecialRanges {
    pub const FILE: &'static str = "iocs/special-ranges.toml";

    pub fn parse(source: &str) -> Result<Self, KbError> {
        let file: File = toml::from_str(source).map_err(|e| KbError::parse(Self::FILE, e))?;
        let invalid = |m: String| KbError::invalid(Self::FILE, m);
        let mut v4 = Vec::new();
        for e in file.v4 {
            let (addr, len) = split_prefix(&e.prefix, 32).ok_or_else(|| invalid(bad(&e.prefix)))?;
            let ip: Ipv4Addr = addr.parse().map_err(|_| invalid(bad(&e.prefix)))?;
            let net = u32::from(ip);
            if len < 32 && net & (u32::MAX >> len) != 0 {
                return Err(invalid(format!("{} has host bits set", e.prefix)));
            }
            v4.push(block(net, len, e.global, e.name, &e.prefix)?);
        }
        let mut v6 = Vec::new();
        for e in file.v6 {
            let (addr, len) =
                split_prefix(&e.prefix, 128).ok_or_else(|| invalid(bad(&e.prefix)))?;
            let ip: Ipv6Addr = addr.parse().map_err(|_| invalid(bad(&e.prefix)))?;
            let net = u128::from(ip);
            if len < 128 && net & (u128::MAX >> len) != 0 {
                return Err(invalid(format!("{} has host bits set", e.prefix)));
            }
            v6.push(block(net, len, e.global, e.name, &e.prefix)?);
        }
        for (name, dup) in [("v4", has_dup(&v4)), ("v6", has_dup(&v6))] {
            if dup {
                return Err(invalid(format!("a {name} prefix is listed twice")));
            }
        }
        if !v4.iter().any(|b| b.len == 0) || !v6.iter().any(|b| b.len == 0) {
            return Err(invalid("each family needs a /0 default".into()));
        }
        v4.sort_by_key(|b| std::cmp::Reverse(b.len));
        v6.sort_by_key(|b| std::cmp::Reverse(b.len));
        Ok(Self { v4, v6 })
    }

    /// Whether `ip` is reachable on the public Internet.
    pub fn is_global(&self, ip: IpAddr) -> bool {
        self.block_name(ip).0
    }

    /// Whether `ip` is global, and the name of the block that decides it.
    pub fn block_name(&self, ip: IpAddr) -> (bool, &str) {
        match ip {
            IpAddr::V4(a) => {
                let x = u32::from(a);
                self.v4
                    .iter()
                    .find(|b| {
                        b.len == 0
                            || x >> (32 - u32::from(b.len)) == b.net >> (32 - u32::from(b.len))
                    })
                    .map_or((true, ""), |b| (b.global, b.name.as_str()))
            }
            IpAddr::V6(a) => {
                // IPv4-embedded forms are judged by their IPv4 address.
                if let Some(v4) = a.to_ipv4_mapped() {
                    return (
                        false,
                        if self.is_global(IpAddr::V4(v4)) {
                            "IPv4-mapped"
                        } else {
                            "IPv4-mapped, non-global"
                        },
                    );
                }
                let x = u128::from(a);
                self.v6
                    .iter()
                    .find(|b| {
                        b.len == 0
                            || x >> (128 - u32::from(b.len)) == b.net >> (128 - u32::from(b.len))
                    })
                    .map_or((false, ""), |b| (b.global, b.name.as_str()))
            }
        }
    }
}

fn bad(prefix: &str) -> String {
    format!("{prefix:?} is not an address/length prefix")
}

fn split_prefix(s: &str, max: u8) -> Option<(&str, u8)> {
    let (addr, len) = s.split_once('/')?;
    let len: u8 = len.parse().ok()?;
    (len <= max).then_some((addr, len))
}

fn block<T>(
    net: T,
    len: u8,
    global: bool,
    name: String,
    prefix: &str,
) -> Result<Block<T>, KbError> {
    if name.trim().is_empty() {
        return Err(KbError::invalid(
            SpecialRanges::FILE,
            format!("{prefix} has no name"),
        ));
    }
    Ok(Block {
        net,
        len,
        global,
        name,
    })
}

fn has_dup<T: PartialEq>(blocks: &[Block<T>]) -> bool {
    blocks
        .iter()
        .enumerate()
        .any(|(i, a)| blocks[..i].iter().any(|b| b.net == a.net && b.len == a.len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embedded() -> SpecialRanges {
        SpecialRanges::parse(crate::kb::EMBEDDED.get(SpecialRanges::FILE).unwrap()).unwrap()
    }

    #[test]
    fn non_global_blocks() {
        let r = embedded();
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.0.1",
            "127.0.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "192.0.2.10",
            "198.51.100.7",
            "203.0.113.99",
            "198.18.0.1",
            "224.0.0.251",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "0.1.2.3",
            "192.0.0.8",
            "::1",
            "::",
            "fe80::d544:e71:3c17:7710",
            "fdc4:2581:575b:5a72::1",
            "2001:db8:85a3::8a2e:370:7334",
            "ff02::1",
            "3fff::1",
            "::ffff:192.0.2.128",
            "::ffff:8.8.8.8",
        ] {
            assert!(!r.is_global(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn global_addresses_and_nested_exceptions() {
        let r = embedded();
        for ip in [
            "8.8.8.8",
            "172.32.0.1",
            "192.0.0.9",
            "192.0.0.10",
            "100.128.0.1",
            "185.220.101.45",
            "2606:4700:4700::1111",
            "2001:4860:4860::8888",
            "2001:20::1",
        ] {
            assert!(r.is_global(ip.parse().unwrap()), "{ip}");
        }
        assert_eq!(
            r.block_name("192.168.1.1".parse().unwrap()).1,
            "Private-Use (RFC 1918)"
        );
    }

    #[test]
    fn schema_rejects_host_bits_duplicates_and_missing_defaults() {
        let ok = "[[v4]]\nprefix='0.0.0.0/0'\nname='d'\nglobal=true\n[[v6]]\nprefix='::/0'\nname='d'\nglobal=false\n";
        assert!(SpecialRanges::parse(ok).is_ok());
        let host_bits = format!("{ok}[[v4]]\nprefix='10.0.0.1/8'\nname='x'\nglobal=false\n");
        assert!(SpecialRanges::parse(&host_bits).is_err());
        let dup = format!("{ok}[[v4]]\nprefix='0.0.0.0/0'\nname='x'\nglobal=false\n");
        assert!(SpecialRanges::parse(&dup).is_err());
        let no_default = "[[v4]]\nprefix='10.0.0.0/8'\nname='d'\nglobal=false\n[[v6]]\nprefix='::/0'\nname='d'\nglobal=false\n";
        assert!(SpecialRanges::parse(no_default).is_err());
        assert!(SpecialRanges::parse("[[v4]]\nprefix='x'\n").is_err());
    }
}
