//! How sure we are that a candidate is an indicator the author reports: high (sweep
//! for it), medium, low (kept for `--all`), or not an indicator at all (`None`).
//!
//! The rules, in order: addresses that are not globally reachable are never high;
//! references (benign lists, the publisher's own site) are high only when the author
//! marks them (defanged, or listed in an indicator section); hashes next to a commit,
//! certificate, digest or key label are not file hashes; marked and listed values are
//! high; in prose, the words around the value decide.

use std::cell::RefCell;
use std::net::IpAddr;
use std::ops::Range;

use super::context::{self, Facts};
use super::kb::{CueSet, IocKb};
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
    /// Cue look-ups of the last window: candidates of one sentence share them.
    pub cues: RefCell<CueCache>,
}

/// Which cue sets matched in one window, filled as they are asked for.
#[derive(Debug, Default)]
pub(crate) struct CueCache {
    window: Range<usize>,
    hits: [Option<bool>; Cue::COUNT],
}

#[derive(Debug, Clone, Copy)]
enum Cue {
    Malicious,
    Version,
    Commit,
    Contact,
    Asn,
    Wallet,
    Package,
    PathTalk,
}

impl Cue {
    const COUNT: usize = 8;
}

use Fidelity::{High, Low, Medium};

/// What the words before a digest say it is.
enum HashLabel {
    File,
    NotFile,
    Imphash,
    Certificate,
}

impl Judge<'_> {
    /// The fidelity of `c`, its final value when it differs from the scanned one, and
    /// its type (a digest may turn out to be an import hash or a certificate's); `None`
    /// when it is no indicator.
    pub fn judge(
        &self,
        c: &Cand,
        f: &Facts,
        defanged: bool,
        floor: usize,
    ) -> Option<(Fidelity, Option<String>, IocType)> {
        let marked = defanged || c.flags & scan::ENCODED != 0 || (f.ioc_section && f.ioc_line);
        let listed = f.ioc_line;
        let window = &self.t[f.window.clone()];
        let ctx = &self.kb.ctx;
        let has = |cue: Cue| self.cue(cue, f.window.clone());
        let fid = match c.kind {
            IocType::Ipv4 | IocType::Ipv6 | IocType::Socket => {
                let addr = match c.kind {
                    IocType::Socket => c.value.rsplit_once(':')?.0,
                    _ => c.value.as_str(),
                };
                let ip: IpAddr = addr.parse().ok()?;
                if !self.kb.ranges.is_global(ip) {
                    if marked { Medium } else { Low }
                } else if self.kb.benign_ip(ip) {
                    if marked { High } else { Low }
                } else if !marked && self.version_context(c, f) {
                    return None;
                } else if (!marked && has(Cue::Version))
                    || (c.flags & scan::IN_URL != 0 && !(marked || listed))
                {
                    // Near version talk, or only inside a link: worth a look, not a sweep.
                    Medium
                } else {
                    High
                }
            }
            IocType::Domain | IocType::Url => {
                let host = c.host.as_deref().unwrap_or("");
                if let Ok(ip) = host.parse::<IpAddr>()
                    && !self.kb.ranges.is_global(ip)
                {
                    return Some((if marked { Medium } else { Low }, None, c.kind));
                }
                let url = (c.kind == IocType::Url).then(|| url_parts(&c.value));
                if !defanged && url.as_ref().is_some_and(|u| self.asset(u)) {
                    // A page image, style or font: the page's own asset.
                    Low
                } else if self.reference(host) {
                    if !defanged && url.as_ref().is_some_and(|u| self.documentation(u)) {
                        // Documentation cited in a list of recommendations.
                        Low
                    } else if c.kind == IocType::Domain && self.kb.listed_service(host) {
                        // A well-known service named as such ("abused windows[.]net"):
                        // an indicator only where an indicator section lists it.
                        if f.ioc_section && f.ioc_line {
                            High
                        } else {
                            Low
                        }
                    } else if marked {
                        High
                    } else {
                        Low
                    }
                } else if defanged {
                    High
                } else if f.in_refs || self.cited(c, floor) {
                    Low
                } else if url.as_ref().is_some_and(|u| u.scheme.is_none())
                    && self.cue(Cue::PathTalk, f.window.clone())
                {
                    // "folders such as host.com/dir/me~": a path layout, not a link.
                    Low
                } else if marked
                    || (listed && f.ioc_label)
                    || self.near_cue(c, f)
                    || self.introduced(c, floor)
                    || (listed && url.as_ref().is_some_and(|u| self.payload(u)))
                {
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
                    || has(Cue::Contact)
                    || self.is_publisher(host)
                    || curated
                    || f.in_refs
                    || self.cited(c, floor);
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
                let before = context::words_before(self.t, floor, c.span.start);
                let kind = match self.hash_label(&before) {
                    HashLabel::File => c.kind,
                    HashLabel::NotFile => return None,
                    HashLabel::Imphash if c.kind == IocType::Md5 => IocType::Imphash,
                    HashLabel::Certificate if c.kind == IocType::Sha1 => IocType::X509Sha1,
                    HashLabel::Certificate if c.kind == IocType::Sha256 => IocType::X509Sha256,
                    HashLabel::Imphash | HashLabel::Certificate => return None,
                };
                if kind == IocType::Sha1 && !marked && has(Cue::Commit) {
                    return None;
                }
                let fid = if before
                    .iter()
                    .any(|w| context::in_set(&ctx.hash_checksum, w))
                {
                    Low
                } else {
                    High
                };
                return Some((fid, None, kind));
            }
            IocType::Cve => High,
            IocType::Asn => {
                let n: u32 = c.value.trim_start_matches("AS").parse().ok()?;
                if super::validate::asn_reserved(n) {
                    Low
                } else if marked || listed || has(Cue::Asn) {
                    High
                } else {
                    Medium
                }
            }
            IocType::Btc | IocType::Xmr | IocType::Eth => {
                if marked || listed || has(Cue::Wallet) {
                    High
                } else {
                    Medium
                }
            }
            IocType::Registry => {
                if marked || listed || f.ioc_section || self.near_cue(c, f) {
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
                // A system binary is an indicator only away from its system directory
                // (a masquerade); as a bare name it is a tool mention.
                let system = files.is_system(&name)
                    && (c.kind == IocType::Filename || files.in_system_dir(&c.value));
                if system || files.developer_files.contains(&name) || c.flags & scan::NO_FILE != 0 {
                    Low
                } else if marked || listed || self.near_cue(c, f) {
                    High
                } else {
                    Medium
                }
            }
            IocType::Package => {
                let (fid, value) = self.package(c, f, window)?;
                return Some((fid, value, c.kind));
            }
            // Typed by the judge from a file-hash candidate, never scanned as such.
            IocType::Imphash | IocType::X509Sha1 | IocType::X509Sha256 => return None,
        };
        Some((fid, None, c.kind))
    }

    /// What the label words just before a digest make it; the nearest label decides
    /// ("import hash" counts as one word).
    fn hash_label(&self, before: &[&str; 3]) -> HashLabel {
        let ctx = &self.kb.ctx;
        for (i, w) in before.iter().enumerate() {
            let mut buf = [0u8; 40];
            let pair = before.get(i + 1).and_then(|prev| {
                let (a, b) = (prev.as_bytes(), w.as_bytes());
                let n = a.len() + 1 + b.len();
                (n <= buf.len() && !a.is_empty()).then(|| {
                    buf[..a.len()].copy_from_slice(a);
                    buf[a.len()] = b'-';
                    buf[a.len() + 1..n].copy_from_slice(b);
                    std::str::from_utf8(&buf[..n]).unwrap_or("")
                })
            });
            for word in [Some(*w), pair].into_iter().flatten() {
                if context::in_set(&ctx.hash_imphash, word) {
                    return HashLabel::Imphash;
                }
                if context::in_set(&ctx.hash_certificate, word) {
                    return HashLabel::Certificate;
                }
                if context::in_set(&ctx.hash_not_file, word) {
                    return HashLabel::NotFile;
                }
            }
        }
        HashLabel::File
    }

    /// Whether the cue set `cue` occurs in `window`, remembered for the window.
    fn cue(&self, cue: Cue, window: Range<usize>) -> bool {
        let mut cache = self.cues.borrow_mut();
        if cache.window != window {
            *cache = CueCache {
                window: window.clone(),
                hits: [None; Cue::COUNT],
            };
        }
        *cache.hits[cue as usize].get_or_insert_with(|| {
            let ctx = &self.kb.ctx;
            let set: &CueSet = match cue {
                Cue::Malicious => &ctx.malicious,
                Cue::Version => &ctx.version_sentence,
                Cue::Commit => &ctx.commit_sentence,
                Cue::Contact => &ctx.contact,
                Cue::Asn => &ctx.asn_cues,
                Cue::Wallet => &ctx.wallet_cues,
                Cue::Package => &ctx.package_malicious,
                Cue::PathTalk => &ctx.path_sentence,
            };
            set.any_in(&self.t[window])
        })
    }

    /// A citation: "see <url>", "author = x@y", "source: vendor.com".
    fn cited(&self, c: &Cand, floor: usize) -> bool {
        let words = context::words_before(self.t, floor, c.span.start);
        words
            .iter()
            .any(|w| context::in_set(&self.kb.ctx.reference_before, w))
    }

    /// A malicious cue close to the value (the words just around it, in its sentence):
    /// "connects to <domain>", "<url> hosted the payload".
    fn near_cue(&self, c: &Cand, f: &Facts) -> bool {
        let mut s = c.span.start.saturating_sub(80).max(f.window.start);
        let mut e = (c.span.end + 60).min(f.window.end);
        s = self.t.ceil_char_boundary(s);
        e = self.t.floor_char_boundary(e);
        self.cue(Cue::Malicious, s..e.max(s))
    }

    /// A link in brackets right after "the second host", "[the next server](…)": one
    /// more piece of the infrastructure the text walks through.
    fn introduced(&self, c: &Cand, floor: usize) -> bool {
        let b = self.t.as_bytes();
        let s = c.span.start;
        if s == 0 || b[s - 1] != b'(' {
            return false;
        }
        let end = if s >= 2 && b[s - 2] == b']' {
            s - 2
        } else {
            s - 1
        };
        let [noun, qualifier, _] = context::words_before(self.t, floor.min(end), end);
        let ctx = &self.kb.ctx;
        context::in_set(&ctx.infrastructure_nouns, noun)
            && context::in_set(&ctx.enumerating, qualifier)
    }

    /// A link to an image, style sheet or font.
    fn asset(&self, u: &UrlParts<'_>) -> bool {
        u.extension()
            .is_some_and(|e| context::in_set(&self.kb.ctx.asset_exts, e))
    }

    /// A link to an executable, script or other payload file.
    fn payload(&self, u: &UrlParts<'_>) -> bool {
        u.extension().is_some_and(|e| {
            e.len() <= 16 && self.kb.files.payload_exts.contains(&e.to_ascii_lowercase())
        })
    }

    /// A documentation page: a host such as `learn.` or `docs.`, or a first path segment
    /// such as `/docs/` (after a locale such as `/en-us/`).
    fn documentation(&self, u: &UrlParts<'_>) -> bool {
        let ctx = &self.kb.ctx;
        let first_label = u.host.split('.').next().unwrap_or("");
        if u.host.matches('.').count() >= 2 && context::in_set(&ctx.doc_hosts, first_label) {
            return true;
        }
        let mut segs = u.path.split('/').filter(|s| !s.is_empty());
        let mut seg = segs.next().unwrap_or("");
        let locale = seg.len() == 5 && seg.as_bytes()[2] == b'-' || seg.len() == 2;
        if locale {
            seg = segs.next().unwrap_or("");
        }
        context::in_set(&ctx.doc_paths, seg)
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
        let [last, ..] = context::words_before(self.t, f.line.start, c.span.start);
        context::in_set(&self.kb.ctx.version_before, last)
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
    fn package(&self, c: &Cand, f: &Facts, window: &str) -> Option<(Fidelity, Option<String>)> {
        let ctx = &self.kb.ctx;
        if !(self.cue(Cue::Package, f.window.clone()) || f.ioc_section) {
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
        Some((High, Some(format!("pkg:{ty}/{name}@{version}"))))
    }
}

/// The host and path of a URL value (as the scanner writes it).
pub(crate) struct UrlParts<'a> {
    pub scheme: Option<&'a str>,
    pub host: &'a str,
    /// From the first `/` to the query or fragment.
    pub path: &'a str,
}

impl<'a> UrlParts<'a> {
    /// The extension of the last path segment, if it has one.
    fn extension(&self) -> Option<&'a str> {
        let last = self.path.rsplit('/').next()?;
        let (stem, ext) = last.rsplit_once('.')?;
        (!stem.is_empty() && !ext.is_empty()).then_some(ext)
    }
}

pub(crate) fn url_parts(value: &str) -> UrlParts<'_> {
    let (scheme, rest) = match value.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, value),
    };
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let auth = &rest[..auth_end];
    let host = auth.rsplit_once('@').map_or(auth, |(_, h)| h);
    let host = host.split(':').next().unwrap_or(host);
    let tail = &rest[auth_end..];
    let path_end = tail.find(['?', '#']).unwrap_or(tail.len());
    UrlParts {
        scheme,
        host,
        path: &tail[..path_end],
    }
}
