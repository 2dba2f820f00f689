//! How sure we are that a candidate is an indicator the author reports: high (sweep
//! for it), medium, low (kept for `--all`), or not an indicator at all (`None`).
//!
//! The rules, in order: addresses that are not globally reachable are never high;
//! references (benign lists, the publisher's own site) are high only when the author
//! marks them (defanged, or listed in an indicator section); hashes next to a commit,
//! certificate, digest or key label are not file hashes; marked and listed values are
//! high; in prose, the words around the value decide.

use std::net::IpAddr;

use super::context::{self, Facts};
use super::kb::IocKb;
use super::scan::{self, Cand};
use crate::model::{Fidelity, IocType};

/// The article's own site: its host and registrable domain (lower-case ASCII).
#[derive(Debug, Clone)]
pub(crate) struct Publisher {
    pub registrable: String,
}

pub(crate) struct Judge<'a> {
    pub t: &'a str,
    pub kb: &'a IocKb,
    pub publisher: Option<&'a Publisher>,
}

use Fidelity::{High, Low, Medium};

impl Judge<'_> {
    /// The fidelity of `c` and its final value, or `None` when it is no indicator.
    pub fn judge(
        &self,
        c: &Cand,
        f: &Facts,
        defanged: bool,
        prev_end: usize,
    ) -> Option<(Fidelity, String)> {
        let marked = defanged || c.flags & scan::ENCODED != 0 || (f.ioc_section && f.ioc_line);
        let listed = f.ioc_line;
        let window = &self.t[f.window.clone()];
        let ctx = &self.kb.ctx;
        let cue = || ctx.malicious.any_in(window);
        let fid = match c.kind {
            IocType::Ipv4 | IocType::Ipv6 => {
                let ip: IpAddr = c.value.parse().ok()?;
                if !self.kb.ranges.is_global(ip) {
                    if marked { Medium } else { Low }
                } else if self.kb.benign_ip(ip) {
                    if marked { High } else { Low }
                } else if !marked && self.version_context(c, f) {
                    return None;
                } else if !marked && ctx.version_sentence.any_in(window) {
                    Medium
                } else if c.flags & scan::IN_URL != 0 && !(marked || listed) {
                    Medium
                } else {
                    High
                }
            }
            IocType::Domain | IocType::Url => {
                let host = c.host.as_deref().unwrap_or("");
                if let Ok(ip) = host.parse::<IpAddr>() {
                    if !self.kb.ranges.is_global(ip) {
                        return Some((if marked { Medium } else { Low }, c.value.clone()));
                    }
                }
                if self.reference(host) {
                    if marked { High } else { Low }
                } else if marked || listed || cue() {
                    High
                } else {
                    Medium
                }
            }
            IocType::Email => {
                let local = c.value.split('@').next().unwrap_or("");
                let host = c.host.as_deref().unwrap_or("");
                let curated = self
                    .kb
                    .benign_host(host)
                    .is_some_and(|g| g != "popular-sites");
                let contact = ctx.role_mailboxes.contains(local)
                    || ctx.contact.any_in(window)
                    || self.is_publisher(host)
                    || curated;
                // An address in prose is usually a sender or a ransom contact; the
                // publisher's and vendors' contact boxes are the exception.
                if contact && !defanged && !marked {
                    Medium
                } else {
                    High
                }
            }
            IocType::Md5 | IocType::Sha1 | IocType::Sha256 | IocType::Sha512 => {
                if self.kb.benign_hash(&c.value) || self.digest_prefix(c) {
                    return None;
                }
                let before = context::words_before(self.t, prev_end, c.span.start, 3);
                if before
                    .iter()
                    .any(|w| ctx.hash_not_file.contains(w.as_str()))
                {
                    return None;
                }
                if c.kind == IocType::Sha1 && !marked && ctx.commit_sentence.any_in(window) {
                    return None;
                }
                if before
                    .iter()
                    .any(|w| ctx.hash_checksum.contains(w.as_str()))
                {
                    Low
                } else {
                    High
                }
            }
            IocType::Cve => High,
            IocType::Asn => {
                let n: u32 = c.value.trim_start_matches("AS").parse().ok()?;
                if super::validate::asn_reserved(n) {
                    Low
                } else if marked || listed || ctx.asn_cues.any_in(window) {
                    High
                } else {
                    Medium
                }
            }
            IocType::Btc | IocType::Xmr | IocType::Eth => {
                if marked || listed || ctx.wallet_cues.any_in(window) {
                    High
                } else {
                    Medium
                }
            }
            IocType::Registry => {
                if marked || listed || f.ioc_section {
                    High
                } else {
                    Medium
                }
            }
            IocType::Filepath | IocType::Filename => {
                let name = c
                    .value
                    .rsplit(['\\', '/'])
                    .next()
                    .unwrap_or("")
                    .to_lowercase();
                let files = &self.kb.files;
                if files.system_binaries.contains(&name)
                    || files.developer_files.contains(&name)
                    || c.flags & scan::NO_FILE != 0
                {
                    Low
                } else if marked || listed {
                    High
                } else {
                    Medium
                }
            }
            IocType::Package => return self.package(c, f, window),
        };
        Some((fid, c.value.clone()))
    }

    /// A reference host: on a benign list, or the publisher's own site.
    fn reference(&self, host: &str) -> bool {
        self.kb.benign_host(host).is_some() || self.is_publisher(host)
    }

    fn is_publisher(&self, host: &str) -> bool {
        self.publisher.is_some_and(|p| {
            super::validate::domain::registrable(host).is_some_and(|r| r == p.registrable)
        })
    }

    /// "version 1.2.3.4", "v 1.2.3.4", "build 10.0.0.1": a version, not an address.
    fn version_context(&self, c: &Cand, f: &Facts) -> bool {
        let before = context::words_before(self.t, f.line.start, c.span.start, 1);
        before
            .first()
            .is_some_and(|w| self.kb.ctx.version_before.contains(w.as_str()))
    }

    /// `image@sha256:…`: a container image digest.
    fn digest_prefix(&self, c: &Cand) -> bool {
        let before = &self.t.as_bytes()[..c.span.start];
        let algo = ["sha256:", "sha512:", "sha1:"].iter().find(|a| {
            before.len() >= a.len()
                && before[before.len() - a.len()..].eq_ignore_ascii_case(a.as_bytes())
        });
        algo.is_some_and(|a| before.len() > a.len() && before[before.len() - a.len() - 1] == b'@')
    }

    /// A package version is an indicator only where the text says it is malicious; its
    /// ecosystem comes from the words around it.
    fn package(&self, c: &Cand, f: &Facts, window: &str) -> Option<(Fidelity, String)> {
        let ctx = &self.kb.ctx;
        if !(ctx.package_malicious.any_in(window) || f.ioc_section) {
            return None;
        }
        let ty = if c.flags & scan::PKG_MAVEN != 0 {
            "maven"
        } else {
            let named = ctx
                .ecosystems
                .iter()
                .find(|(_, cues)| cues.any_in(window))
                .map(|(ty, _)| *ty);
            match named {
                Some(ty) => ty,
                None if c.flags & scan::PKG_EQ != 0 => "pypi",
                None => return None,
            }
        };
        let (name, version) = c.value.rsplit_once('@')?;
        let name = match ty {
            "maven" => name.replacen(':', "/", 1),
            "npm" => name.replacen('@', "%40", 1),
            "pypi" => name.to_ascii_lowercase().replace('_', "-"),
            _ => name.to_owned(),
        };
        Some((High, format!("pkg:{ty}/{name}@{version}")))
    }
}
