//! Candidate scanning over the refanged text, in one pass: URLs first (anchored on
//! `://`), then the white-space separated tokens between them. Inside a token, runs of
//! indicator characters are split at `:` (ports, `ip4:…`, `sha256:…`) and each piece
//! is classified by its shape. Only validated candidates allocate their value.

use std::ops::Range;

use base64::Engine;
use memchr::memmem;

use super::kb::IocKb;
use super::refang::Normalized;
use super::validate::{self, domain, url};
use crate::model::IocType;

/// A candidate indicator in the normalised text.
#[derive(Debug, Clone)]
pub(crate) struct Cand {
    pub kind: IocType,
    pub span: Range<usize>,
    pub value: String,
    /// Lower-case ASCII host of a domain, URL or e-mail (for benign and range checks).
    pub host: Option<String>,
    pub flags: u8,
}

/// Found inside a URL (an IP in its path, a URL in its query).
pub(crate) const IN_URL: u8 = 1;
/// Decoded from Base64.
pub(crate) const ENCODED: u8 = 2;
/// Package syntax: `name@1.2.3`, `name==1.2.3`, `group:artifact:1.2.3`.
pub(crate) const PKG_AT: u8 = 4;
pub(crate) const PKG_EQ: u8 = 8;
pub(crate) const PKG_MAVEN: u8 = 16;
/// A file-system path or registry key ending in a directory (no file name).
pub(crate) const NO_FILE: u8 = 32;

struct Scanner<'a> {
    t: &'a str,
    b: &'a [u8],
    n: &'a Normalized<'a>,
    kb: &'a IocKb,
    out: Vec<Cand>,
}

/// Every candidate of the normalised text, in text order.
pub(crate) fn scan(n: &Normalized<'_>, kb: &IocKb) -> Vec<Cand> {
    let t: &str = &n.text;
    let mut s = Scanner {
        t,
        b: t.as_bytes(),
        n,
        kb,
        out: Vec::new(),
    };
    let urls = s.urls();
    let mut pos = 0;
    for span in urls
        .iter()
        .cloned()
        .chain(std::iter::once(t.len()..t.len()))
    {
        if span.start > pos {
            s.gap(pos..span.start);
        }
        pos = pos.max(span.end);
    }
    let mut out = s.out;
    out.sort_by_key(|c| c.span.start);
    out
}

/// Byte classes of the ASCII range for run scanning.
const RUN: u8 = 1; // part of an indicator run
const EDGE: u8 = 2; // trimmed from the ends of a run

static CLASS: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        if c.is_ascii_alphanumeric() {
            t[i] = RUN;
        }
        i += 1;
    }
    t[b'.' as usize] = RUN | EDGE;
    t[b'-' as usize] = RUN | EDGE;
    t[b'_' as usize] = RUN | EDGE;
    t[b'@' as usize] = RUN | EDGE;
    t[b':' as usize] = RUN | EDGE;
    t[b'%' as usize] = RUN | EDGE;
    t[b'+' as usize] = RUN | EDGE;
    t
};

/// Byte classes for token scanning.
const T_SPACE: u8 = 1;
const T_DIGIT: u8 = 2;
const T_DOT: u8 = 4;
const T_AT: u8 = 8;
const T_COLON: u8 = 16;
const T_BSLASH: u8 = 32;
const T_EQ: u8 = 64;
const T_OTHER: u8 = 128; // '/', '%', '~' and non-ASCII: worth a closer look
/// Any byte that makes a token more than a plain word.
const T_PUNCT: u8 = T_DOT | T_AT | T_COLON | T_BSLASH | T_EQ | T_OTHER;
/// Bytes that always send their token to the classifier (dots and colons only inside
/// a token do: "evil.com", "ip4:1.2.3.4", not a sentence's "attack." or "Note:").
const T_HOT: u8 = T_DIGIT | T_AT | T_BSLASH | T_EQ | T_OTHER;

/// The byte classes of a token, a dot or colon counting only when more follows it.
fn token_mask(tok: &[u8]) -> u8 {
    let mut mask = 0u8;
    let mut inner = false;
    let mut after_sep = false;
    for &c in tok {
        let m = TOK[c as usize];
        inner |= after_sep;
        after_sep = m & (T_DOT | T_COLON) != 0;
        mask |= m;
    }
    if !inner {
        mask &= !(T_DOT | T_COLON);
    }
    mask
}

static TOK: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = if c.is_ascii_whitespace() {
            T_SPACE
        } else if c.is_ascii_digit() {
            T_DIGIT
        } else if c >= 0x80 {
            T_OTHER
        } else {
            match c {
                b'.' => T_DOT,
                b'@' => T_AT,
                b':' => T_COLON,
                b'\\' => T_BSLASH,
                b'=' => T_EQ,
                b'/' | b'%' | b'~' => T_OTHER,
                _ => 0,
            }
        };
        i += 1;
    }
    t
};

/// The character at `i` (a char boundary) and its length.
fn char_at(t: &str, i: usize) -> (char, usize) {
    t[i..]
        .chars()
        .next()
        .map_or(('\0', 1), |c| (c, c.len_utf8()))
}

fn host_of(h: &url::Host) -> Option<String> {
    match h {
        url::Host::Domain(d) => Some(d.ascii.clone()),
        url::Host::V4(ip) => Some(ip.to_string()),
        url::Host::V6(ip) => Some(ip.to_string()),
    }
}

/// End of a URL that starts before `from`: URL characters up to white space, quotes or
/// angle brackets, an unbalanced `)` or `]`, then trailing punctuation trimmed.
fn url_end(t: &str, from: usize, limit: usize) -> usize {
    let b = t.as_bytes();
    let max = limit.min(from.saturating_add(4096));
    let (mut sq, mut par) = (0i32, 0i32);
    let mut i = from;
    while i < max {
        let c = b[i];
        if c >= 0x80 {
            let (ch, len) = char_at(t, i);
            if !ch.is_alphanumeric() {
                break;
            }
            i += len;
            continue;
        }
        // Links run together without a space ("…/postHTTPS://next"): a scheme glued
        // to a letter or digit starts the next link.
        if (c == b'h' || c == b'H')
            && i > from
            && b[i - 1].is_ascii_alphanumeric()
            && (b[i..].len() >= 7)
            && (b[i..i + 7].eq_ignore_ascii_case(b"http://")
                || b[i..].len() >= 8 && b[i..i + 8].eq_ignore_ascii_case(b"https://"))
        {
            break;
        }
        match c {
            c if c.is_ascii_whitespace() || c.is_ascii_control() => break,
            b'<' | b'>' | b'"' | b'`' | b'{' | b'}' | b'|' | b'\\' | b'^' | b'\'' => break,
            // "?time=[UNIX timestamp]", "/[id]": a placeholder after a delimiter ends
            // the link ("a[]=1" and "user[name]=x" are parameters and stay).
            b'[' if i > from && placeholder(b, i) => break,
            b'[' => sq += 1,
            b']' if sq == 0 => break,
            b']' => sq -= 1,
            b'(' => par += 1,
            b')' if par == 0 => break,
            b')' => par -= 1,
            _ => {}
        }
        i += 1;
    }
    while i > from && matches!(b[i - 1], b'.' | b',' | b';' | b':' | b'!' | b'?' | b'*') {
        i -= 1;
    }
    i
}

impl Scanner<'_> {
    fn push(
        &mut self,
        kind: IocType,
        span: Range<usize>,
        value: String,
        host: Option<String>,
        flags: u8,
    ) {
        self.out.push(Cand {
            kind,
            span,
            value,
            host,
            flags,
        });
    }

    fn scheme_known(&self, scheme: &str) -> bool {
        let mut buf = [0u8; 16];
        if scheme.len() > buf.len() {
            return false;
        }
        for (d, s) in buf.iter_mut().zip(scheme.bytes()) {
            *d = s.to_ascii_lowercase();
        }
        std::str::from_utf8(&buf[..scheme.len()]).is_ok_and(|s| self.kb.ctx.schemes.contains(s))
    }

    /// URLs anchored on `://`; returns the spans the token pass must not mine again.
    fn urls(&mut self) -> Vec<Range<usize>> {
        let (t, b) = (self.t, self.b);
        let mut consumed: Vec<Range<usize>> = Vec::new();
        let (mut outer_end, mut nested) = (0usize, 0u8);
        for q in memmem::find_iter(b, b"://") {
            let mut s = q;
            while s > 0
                && q - s < 16
                && (b[s - 1].is_ascii_alphanumeric() || matches!(b[s - 1], b'+' | b'.' | b'-'))
            {
                s -= 1;
            }
            while s < q && !b[s].is_ascii_alphabetic() {
                s += 1;
            }
            // A link glued to the word before it ("Seehttps://…") keeps its scheme.
            let glued = ["https", "http"].iter().find(|sch| {
                q - s > sch.len() && b[q - sch.len()..q].eq_ignore_ascii_case(sch.as_bytes())
            });
            if let Some(sch) = glued
                && !self.scheme_known(&t[s..q])
            {
                s = q - sch.len();
            } else if s > 0 && b[s - 1].is_ascii_alphanumeric() {
                continue;
            }
            if s == q || !self.scheme_known(&t[s..q]) {
                continue;
            }
            let inside = q < outer_end;
            if inside {
                if nested >= 4 {
                    continue;
                }
                nested += 1;
            }
            let end = url_end(t, q + 3, if inside { outer_end } else { b.len() });
            if end <= q + 3 {
                continue;
            }
            let wrapped = if inside { None } else { self.wrapped(s, end) };
            if !inside {
                let covered = wrapped.as_ref().map_or(end, |w| w.1);
                consumed.push(s..covered);
                outer_end = end;
                nested = 0;
            }
            if let Some((joined, cend)) = wrapped {
                // One link broken over two lines: emitted whole, once.
                if let Some(u) = url::parse(&joined) {
                    self.push(IocType::Url, s..cend, u.value(), host_of(&u.host), 0);
                }
                continue;
            }
            if let Some(u) = url::parse(&t[s..end]) {
                let rest_start = end - u.rest.len();
                self.push(
                    IocType::Url,
                    s..end,
                    u.value(),
                    host_of(&u.host),
                    if inside { IN_URL } else { 0 },
                );
                self.url_host_ip(&u, q + 3, rest_start);
                if !inside {
                    self.encoded_urls(rest_start..end);
                }
                self.ips_in(rest_start..end);
                self.cves_in(rest_start..end);
            }
        }
        consumed
    }

    /// A link that runs to the end of a long line and goes on at the start of the next
    /// (a PDF or terminal dump wraps at a fixed width): the joined link and where its
    /// second part ends. The next line must go on like a path (`/`, `?`, `=`, `&`, `%`
    /// in its first token) and not start another indicator (a link, a name or address).
    fn wrapped(&self, s: usize, end: usize) -> Option<(String, usize)> {
        let (t, b) = (self.t, self.b);
        let nl = match b.get(end..end + 2)? {
            [b'\n', _] => end + 1,
            [b'\r', b'\n'] => end + 2,
            _ => return None,
        };
        let line_start = memchr::memrchr(b'\n', &b[..s]).map_or(0, |i| i + 1);
        if end - line_start < 40 || end - s < 24 {
            return None;
        }
        let mut ce = nl;
        while ce < b.len() && !b[ce].is_ascii_whitespace() && ce - nl < 2048 {
            ce += 1;
        }
        let cont = &t[nl..ce];
        let first = cont.split(['/', '?', '#']).next().unwrap_or("");
        let goes_on = cont.contains(['/', '?', '=', '&', '%'])
            && !cont.contains("://")
            && !first.is_empty()
            && validate::ipv4(first).is_none()
            && domain::parse(first).is_none();
        if !goes_on {
            return None;
        }
        let cend = nl + url_end(cont, 0, cont.len());
        if cend == nl {
            return None;
        }
        Some((format!("{}{}", &t[s..end], &t[nl..cend]), cend))
    }

    /// Links percent-encoded inside a link's query (`?u=https%3A%2F%2Fevil.example%2Fa`):
    /// each decoded, up to the first delimiter the author left unencoded.
    fn encoded_urls(&mut self, r: Range<usize>) {
        let b = self.b;
        let mut from = r.start;
        while let Some(k) = memmem::find(&b[from..r.end], b"%3").map(|k| from + k) {
            from = k + 3;
            if !b[k..r.end.min(k + 9)].eq_ignore_ascii_case(b"%3a%2f%2f") {
                continue;
            }
            let mut s = k;
            while s > r.start && b[s - 1].is_ascii_alphabetic() && k - s < 8 {
                s -= 1;
            }
            if s == k || !self.scheme_known(&self.t[s..k]) {
                continue;
            }
            let mut e = k;
            while e < r.end && !matches!(b[e], b'&' | b'?' | b'#' | b'=' | b';') {
                e += 1;
            }
            let Some(decoded) = percent_decode(&self.t[s..e]) else {
                continue;
            };
            let end = url_end(
                &decoded,
                decoded.find("://").map_or(0, |p| p + 3),
                decoded.len(),
            );
            if let Some(u) = url::parse(&decoded[..end]) {
                self.push(
                    IocType::Url,
                    s..e,
                    u.value(),
                    host_of(&u.host),
                    IN_URL | ENCODED,
                );
            }
            from = e;
        }
    }

    /// The address of a link to an IP (`tcp://203.0.113.7:3333`, `stratum+tcp://…`):
    /// the address itself and, with a port, the socket. `auth` is where the authority
    /// starts in the text, `rest` where the path starts.
    fn url_host_ip(&mut self, u: &url::Url<'_>, auth: usize, rest: usize) {
        let url::Host::V4(ip) = u.host else {
            return;
        };
        let hs = auth + u.userinfo.map_or(0, |x| x.len() + 1);
        let ip_span = hs..hs + ip.to_string().len();
        if self.t.get(ip_span.clone()) != Some(ip.to_string().as_str()) {
            return;
        }
        self.push(IocType::Ipv4, ip_span.clone(), ip.to_string(), None, IN_URL);
        if let Some(p) = u.port
            && let Some(port) = validate::port_number(p)
            && ip_span.end + 1 + p.len() <= rest
        {
            let port_span = ip_span.end + 1..ip_span.end + 1 + p.len();
            self.socket(ip_span, port, port_span, IN_URL);
        }
    }

    /// Dotted quads that are a whole segment of a URL's path or query
    /// (`/ip-address/90.156.201.27/`, `?ip=1.2.3.4`), not part of a file name
    /// (`Radmin_3.5.2.1_EN.zip`).
    fn ips_in(&mut self, r: Range<usize>) {
        let b = self.b;
        let delim = |c: u8| {
            matches!(
                c,
                b'/' | b'=' | b'?' | b'&' | b':' | b'@' | b',' | b';' | b'#'
            )
        };
        let mut i = r.start;
        while i < r.end {
            if !b[i].is_ascii_digit() || (i > r.start && !delim(b[i - 1])) {
                i += 1;
                continue;
            }
            let s = i;
            while i < r.end && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            let ends_segment = i >= r.end || delim(b[i]);
            if ends_segment && let Some(ip) = validate::ipv4(&self.t[s..i]) {
                self.push(IocType::Ipv4, s..i, ip.to_string(), None, IN_URL);
            }
        }
    }

    /// CVE IDs in a URL's path (`/vuln/detail/CVE-2024-3400`): the article's subject.
    fn cves_in(&mut self, r: Range<usize>) {
        let b = self.b;
        let mut i = r.start;
        while i + 13 <= r.end {
            let at_word = i == r.start || !b[i - 1].is_ascii_alphanumeric();
            if at_word && b[i..i + 4].eq_ignore_ascii_case(b"cve-") {
                let mut e = i + 9;
                while e < r.end && b[e].is_ascii_digit() {
                    e += 1;
                }
                if let Some(c) = validate::cve(&self.t[i..e], self.kb.ctx.cve_years)
                    && (e >= r.end || !b[e].is_ascii_alphanumeric())
                {
                    self.push(IocType::Cve, i..e, c, None, IN_URL);
                }
                i = e;
            } else {
                i += 1;
            }
        }
    }

    /// The text between URLs. Plain words are skipped at one table look-up per byte;
    /// a token goes to the classifier only when it holds a digit, an inner dot or colon,
    /// an at-sign, a backslash, a slash, `%`, `=`, `~` or non-ASCII text, or is long
    /// enough to be a wallet or a digest spelled without digits.
    fn gap(&mut self, r: Range<usize>) {
        let b = self.b;
        let mut i = r.start;
        let mut ws = r.start; // start of the current token
        while i < r.end {
            let m = TOK[b[i] as usize];
            if m & T_SPACE != 0 {
                if i - ws >= 26 {
                    self.token(ws..i, r.end);
                }
                i += 1;
                ws = i;
                continue;
            }
            let hot = m & T_HOT != 0
                || (m & (T_DOT | T_COLON) != 0
                    && b.get(i + 1)
                        .is_some_and(|&n| TOK[n as usize] & T_SPACE == 0));
            if !hot {
                i += 1;
                continue;
            }
            let mut te = i;
            while te < r.end && TOK[b[te] as usize] & T_SPACE == 0 {
                te += 1;
            }
            i = self.token(ws..te, r.end).max(te);
            ws = i;
        }
        if i - ws >= 26 {
            self.token(ws..r.end, r.end);
        }
    }

    /// Scans one token; returns where the next token scan starts (a path or registry
    /// key with spaces may take the words after it).
    fn token(&mut self, r: Range<usize>, limit: usize) -> usize {
        let (t, b) = (self.t, self.b);
        let tok = &b[r.clone()];
        let mask = token_mask(tok);
        if mask & T_PUNCT == 0 {
            // A plain word can still be an AS number, CVE, hash or wallet; prose words
            // (letters only, shorter than any wallet) cannot.
            if tok.len() < 26 && mask & T_DIGIT == 0 {
                return r.end;
            }
            let digits = tok.iter().take_while(|c| c.is_ascii_digit()).count();
            if digits > 0 && tok[digits..].iter().all(|c| !c.is_ascii_alphanumeric()) {
                self.spaced_asn(r.start..r.start + digits);
                return r.end;
            }
        }
        // Leading quotes and brackets are not part of paths and keys.
        let lead = tok
            .iter()
            .take_while(|c| matches!(c, b'"' | b'\'' | b'(' | b'[' | b'<' | b'`' | b'*'))
            .count();
        let start = r.start + lead;
        let body = &t[start..r.end];
        if mask & T_BSLASH != 0 && !body.is_empty() {
            if validate::hive_len(body).is_some() {
                return self.spaced_path(start, limit, IocType::Registry);
            }
            let bb = body.as_bytes();
            let win =
                (bb.len() > 3 && bb[0].is_ascii_alphabetic() && bb[1] == b':' && bb[2] == b'\\')
                    || (bb[0] == b'%' && body[1..].contains("%\\"))
                    || body.starts_with("\\\\");
            if win {
                return self.spaced_path(start, limit, IocType::Filepath);
            }
        }
        if (body.starts_with('/') && !body.starts_with("//")) || body.starts_with("~/") {
            self.unix_path(start..r.end);
            return r.end;
        }
        if mask & (T_AT | T_COLON | T_EQ) != 0 {
            self.package(start..r.end);
        }
        if tok.len() >= 16
            && let Some(k) = memmem::find(tok, b"aHR0c")
        {
            self.base64_url(r.start + k, r.end);
        }
        self.runs(r.clone());
        r.end
    }

    /// "AS 13335": digits after an "AS" or "ASN" word.
    fn spaced_asn(&mut self, r: Range<usize>) {
        let (t, b) = (self.t, self.b);
        let before = &b[..r.start];
        let mut j = before.len();
        while j > 0 && (b[j - 1] == b' ' || b[j - 1] == b'\t') {
            j -= 1;
        }
        if j == r.start {
            return;
        }
        for word in ["ASN", "AS"] {
            let ws = j.saturating_sub(word.len());
            if &b[ws..j] == word.as_bytes() && (ws == 0 || !b[ws - 1].is_ascii_alphanumeric()) {
                if let Some(n) = validate::asn(&format!("{word}{}", &t[r.clone()])) {
                    self.push(IocType::Asn, ws..r.end, format!("AS{n}"), None, 0);
                }
                return;
            }
        }
    }

    /// A registry key or Windows path, which may contain spaces ("Program Files"):
    /// a following word joins while it continues the path with a backslash.
    fn spaced_path(&mut self, start: usize, limit: usize, kind: IocType) -> usize {
        let (t, b) = (self.t, self.b);
        let stop = |c: u8| {
            c.is_ascii_whitespace()
                || matches!(c, b'"' | b'<' | b'>' | b'|' | b'`' | b'\'' | b'*' | b'?')
        };
        let mut end = start;
        while end < limit && !stop(b[end]) {
            end += 1;
        }
        for _ in 0..4 {
            if end + 1 >= limit || b[end] != b' ' {
                break;
            }
            let mut k = end + 1;
            while k < limit && !stop(b[k]) {
                k += 1;
            }
            let word = &t[end + 1..k];
            let continues = word.contains('\\')
                && word.find('\\').is_some_and(|p| p > 0)
                && word
                    .bytes()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'(');
            if !continues {
                break;
            }
            end = k;
        }
        if end == start {
            return end.max(start + 1);
        }
        let mut e = end;
        loop {
            match b[e - 1] {
                b'.' | b',' | b';' | b':' | b'!' => e -= 1,
                b')' if t[start..e].matches('(').count() < t[start..e].matches(')').count() => {
                    e -= 1
                }
                b']' if t[start..e].matches('[').count() < t[start..e].matches(']').count() => {
                    e -= 1
                }
                _ => break,
            }
            if e <= start {
                return end;
            }
        }
        let mut value = &t[start..e];
        let mut flags = 0;
        if value.ends_with('\\') {
            value = value.trim_end_matches('\\');
            flags |= NO_FILE;
        }
        let ok = match kind {
            IocType::Registry => validate::registry(value),
            _ => validate::filepath(value),
        };
        if ok {
            if kind == IocType::Filepath
                && validate::filename(value.rsplit('\\').next().unwrap_or("")).is_none()
            {
                flags |= NO_FILE;
            }
            self.push(
                kind,
                start..start + value.len(),
                value.to_owned(),
                None,
                flags,
            );
        }
        end
    }

    fn unix_path(&mut self, r: Range<usize>) {
        let t = self.t;
        let s = trim_punct_end(&t[r.clone()]);
        let end = s
            .find(|c: char| {
                !(c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '+' | '@' | '~'))
            })
            .unwrap_or(s.len());
        let mut value = s[..end].trim_end_matches(['.', ',', ';', ':']);
        let mut flags = 0;
        if value.ends_with('/') {
            value = value.trim_end_matches('/');
            flags |= NO_FILE;
        }
        if validate::filepath(value) {
            if validate::filename(value.rsplit('/').next().unwrap_or("")).is_none() {
                flags |= NO_FILE;
            }
            self.push(
                IocType::Filepath,
                r.start..r.start + value.len(),
                value.to_owned(),
                None,
                flags,
            );
        }
    }

    /// `name@1.2.3`, `@scope/name@1.2.3`, `name==1.2.3`, `group:artifact:1.2.3`.
    fn package(&mut self, r: Range<usize>) {
        let raw = &self.t[r.clone()];
        let s = trim_punct(raw);
        // `s` is a sub-slice of `raw`: its offset is the length trimmed at the front.
        let off = r.start
            + (raw.len()
                - raw
                    .trim_start_matches(|c: char| {
                        !(c.is_alphanumeric() || matches!(c, '@' | '/' | '%' | '~'))
                    })
                    .len());
        let name_ok = |n: &str| {
            !n.is_empty()
                && n.len() <= 214
                && n.as_bytes()[0].is_ascii_alphanumeric()
                && n.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
        };
        let version_ok = |v: &str| {
            let v = v.strip_prefix('v').unwrap_or(v);
            let mut parts = v.splitn(3, '.');
            let nums = parts
                .next()
                .is_some_and(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
                && parts
                    .next()
                    .is_some_and(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()));
            nums && v
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'+'))
        };
        let (flag, name, version) = if let Some((n, v)) = s.split_once("==") {
            (PKG_EQ, n, v)
        } else if let Some((n, v)) = s.rsplit_once('@').filter(|(n, _)| !n.is_empty()) {
            let bare = match n.strip_prefix('@') {
                Some(scoped) => match scoped.split_once('/') {
                    Some((scope, name)) if name_ok(scope) && name_ok(name) => name,
                    _ => return,
                },
                None => n,
            };
            if !name_ok(bare) || validate::ipv4(v).is_some() {
                return;
            }
            (PKG_AT, n, v)
        } else if s.bytes().filter(|&c| c == b':').count() == 2 {
            let mut it = s.split(':');
            let (g, a, v) = (
                it.next().unwrap_or(""),
                it.next().unwrap_or(""),
                it.next().unwrap_or(""),
            );
            if !(g.contains('.') && name_ok(g) && name_ok(a)) {
                return;
            }
            (PKG_MAVEN, &s[..g.len() + 1 + a.len()], v)
        } else {
            return;
        };
        let bare = name.trim_start_matches('@');
        if !(version_ok(version) && (flag != PKG_EQ || name_ok(bare))) {
            return;
        }
        let value = format!("{name}@{}", version.strip_prefix('v').unwrap_or(version));
        self.push(IocType::Package, off..off + s.len(), value, None, flag);
    }

    /// A Base64 run that decodes to an http(s) URL (`aHR0cHM6Ly9…`).
    fn base64_url(&mut self, s: usize, limit: usize) {
        let b = self.b;
        let mut e = s;
        while e < limit
            && (b[e].is_ascii_alphanumeric() || matches!(b[e], b'+' | b'/' | b'=' | b'-' | b'_'))
        {
            e += 1;
        }
        let raw = self.t[s..e].trim_end_matches('=');
        if raw.len() < 12 || raw.len() > 8192 {
            return;
        }
        let engine = if raw.contains(['-', '_']) {
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
        } else {
            &base64::engine::general_purpose::STANDARD_NO_PAD
        };
        let Ok(bytes) = engine.decode(raw) else {
            return;
        };
        let Ok(decoded) = String::from_utf8(bytes) else {
            return;
        };
        if !(decoded.starts_with("http://") || decoded.starts_with("https://")) {
            return;
        }
        let end = url_end(
            &decoded,
            decoded.find("://").map_or(0, |p| p + 3),
            decoded.len(),
        );
        if let Some(u) = url::parse(&decoded[..end]) {
            self.push(IocType::Url, s..e, u.value(), host_of(&u.host), ENCODED);
        }
    }

    /// Runs of indicator characters inside a token.
    fn runs(&mut self, r: Range<usize>) {
        let (t, b) = (self.t, self.b);
        let mut i = r.start;
        while i < r.end {
            let in_run = |i: usize| -> (bool, usize) {
                let c = b[i];
                if c < 0x80 {
                    (CLASS[c as usize] & RUN != 0, 1)
                } else {
                    let (ch, len) = char_at(t, i);
                    (ch.is_alphanumeric(), len)
                }
            };
            let (yes, len) = in_run(i);
            if !yes {
                i += len;
                continue;
            }
            let rs = i;
            while i < r.end {
                let (yes, len) = in_run(i);
                if !yes {
                    break;
                }
                i += len;
            }
            let (mut a, mut z) = (rs, i);
            while a < z && b[a] < 0x80 && CLASS[b[a] as usize] & EDGE != 0 {
                a += 1;
            }
            while z > a && b[z - 1] < 0x80 && CLASS[b[z - 1] as usize] & EDGE != 0 {
                z -= 1;
            }
            if z - a >= 3 {
                let prev = if a > 0 { b[a - 1] } else { b' ' };
                let next = b.get(z).copied().unwrap_or(b' ');
                self.run(a..z, prev, next, r.end);
            }
        }
    }

    fn run(&mut self, r: Range<usize>, prev: u8, next: u8, token_end: usize) {
        let (t, b) = (self.t, self.b);
        let s = &t[r.clone()];
        let colons = s.bytes().filter(|&c| c == b':').count();
        if colons >= 2 && self.ipv6(r.clone(), next) {
            return;
        }
        // Pieces between colons; a schemeless URL takes the last host piece (and port).
        let mut scan_end = r.end;
        if next == b'/' && b.get(r.end + 1) != Some(&b'/') {
            let last = s.rfind(':').map_or(r.start, |k| r.start + k + 1);
            let digits = |x: Range<usize>| !x.is_empty() && b[x].iter().all(u8::is_ascii_digit);
            let host = if last > r.start && digits(last..r.end) {
                let before = &t[r.start..last - 1];
                before.rfind(':').map_or(r.start, |k| r.start + k + 1)..last - 1
            } else {
                last..r.end
            };
            let host_prev = if host.start == r.start { prev } else { b':' };
            if host_prev != b'/' && host_prev != b'\\' && !host.is_empty() {
                let end = url_end(t, r.end, token_end);
                if validate::ipv4(&t[host.clone()]).is_some() && cidr(&t[r.end..end]) {
                    return;
                }
                if let Some(u) = url::parse(&t[host.start..end]) {
                    let seg = u.rest.strip_prefix('/').unwrap_or("");
                    let seg_start = end - seg.len();
                    let host_ok = match &u.host {
                        url::Host::Domain(d) => {
                            self.n.defanged(host.clone()) || !self.file_or_code(&t[host.clone()], d)
                        }
                        _ => true,
                    };
                    // "45.153.243.142/fuvataren.com": an address and a name side by
                    // side, not a path.
                    let side_by_side =
                        !seg.is_empty() && !seg.contains(['/', '?', '#', '=']) && seg.contains('.');
                    let pair = if !side_by_side {
                        false
                    } else if let Some(ip) = validate::ipv4(seg) {
                        self.push(IocType::Ipv4, seg_start..end, ip.to_string(), None, 0);
                        true
                    } else if let Some(d) = domain::parse(seg)
                        && (self.n.defanged(seg_start..end) || !self.file_or_code(seg, &d))
                    {
                        self.domain_cand(seg_start..end, d);
                        true
                    } else {
                        false
                    };
                    if !pair && host_ok {
                        self.push(
                            IocType::Url,
                            host.start..end,
                            u.value(),
                            host_of(&u.host),
                            0,
                        );
                        scan_end = host.start.saturating_sub(1).max(r.start);
                    }
                }
            }
        }
        let mut p = r.start;
        let mut ip_before: Option<Range<usize>> = None;
        while p < scan_end {
            let e = t[p..scan_end].find(':').map_or(scan_end, |k| p + k);
            if e > p {
                let pprev = if p == r.start { prev } else { b':' };
                let pnext = if e == r.end { next } else { b':' };
                let before = self.out.len();
                self.piece(p..e, pprev, pnext);
                // "198.51.100.23:443": the address was emitted, its port is kept with it.
                if let Some(ip) = ip_before.take()
                    && let Some(port) = validate::port_number(&t[p..e])
                {
                    self.socket(ip, port, p..e, 0);
                }
                let emitted = self.out[before..]
                    .iter()
                    .any(|c| c.kind == IocType::Ipv4 && c.span == (p..e));
                ip_before = emitted.then_some(p..e);
            } else {
                ip_before = None;
            }
            p = e + 1;
        }
    }

    /// An address with its port (`ip` and `port` are spans of the text).
    fn socket(&mut self, ip: Range<usize>, port: u16, port_span: Range<usize>, flags: u8) {
        let value = format!("{}:{port}", &self.t[ip.clone()]);
        self.push(IocType::Socket, ip.start..port_span.end, value, None, flags);
    }

    fn ipv6(&mut self, r: Range<usize>, next: u8) -> bool {
        let t = self.t;
        let mut s = r.start;
        let text = &t[r.clone()];
        let hexish = |x: &str| {
            x.bytes()
                .all(|c| c.is_ascii_hexdigit() || c == b':' || c == b'.')
        };
        if !hexish(text) {
            // "ip6:2001:db8::1": drop a leading label that is not hex.
            match text.split_once(':') {
                Some((head, tail)) if !hexish(head) && hexish(tail) => s += head.len() + 1,
                _ => return false,
            }
        }
        let cand = &t[s..r.end];
        if next == b'/' || !cand.bytes().any(|c| c.is_ascii_hexdigit()) {
            return false;
        }
        match validate::ipv6(cand) {
            Some(ip) => {
                self.push(IocType::Ipv6, s..r.end, ip.to_string(), None, 0);
                true
            }
            None => false,
        }
    }

    fn piece(&mut self, r: Range<usize>, prev: u8, next: u8) {
        let t = self.t;
        let p = &t[r.clone()];
        if let Some(at) = p.rfind('@') {
            self.at_piece(r, at);
            return;
        }
        if p.contains('.') {
            self.dotted(r, prev, next);
        } else {
            self.plain(r);
        }
    }

    fn at_piece(&mut self, r: Range<usize>, at: usize) {
        let t = self.t;
        let p = &t[r.clone()];
        let (local, dom) = (&p[..at], &p[at + 1..]);
        let ds = r.start + at + 1;
        if !dom.contains('.') {
            return;
        }
        if let Some(ip) = validate::ipv4(dom) {
            self.push(IocType::Ipv4, ds..r.end, ip.to_string(), None, 0);
            return;
        }
        let Some(d) = domain::parse(dom) else { return };
        // The longest plain suffix of what precedes the at-sign is the local part.
        let lb = local.as_bytes();
        let mut ls = lb.len();
        while ls > 0
            && (lb[ls - 1].is_ascii_alphanumeric()
                || matches!(lb[ls - 1], b'.' | b'_' | b'%' | b'+' | b'-'))
        {
            ls -= 1;
        }
        let mut local = &local[ls..];
        let mut start = r.start + ls;
        while let Some(rest) = local.strip_prefix(['.', '-', '+', '%']) {
            local = rest;
            start += 1;
        }
        if validate::local_part_ok(local) {
            let value = format!("{}@{}", local.to_ascii_lowercase(), d.value);
            self.push(IocType::Email, start..r.end, value, Some(d.ascii), 0);
        } else {
            self.domain_cand(ds..r.end, d);
        }
    }

    fn dotted(&mut self, r: Range<usize>, prev: u8, next: u8) {
        let (t, b) = (self.t, self.b);
        let p = &t[r.clone()];
        let path_component = prev == b'/' || prev == b'\\';
        if p.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
            if path_component {
                return;
            }
            if let Some(ip) = validate::ipv4(p) {
                self.push(IocType::Ipv4, r, ip.to_string(), None, 0);
            } else if let Some((addr, port)) = p.rsplit_once('.')
                && port.len() >= 2
                && let Some(ip) = validate::ipv4(addr)
                && let Some(n) = validate::port_number(port)
            {
                // netstat's "198.51.100.23.443": an address and its port (a port of one
                // digit is more likely a fifth version or OID component).
                let ip_span = r.start..r.start + addr.len();
                self.push(IocType::Ipv4, ip_span.clone(), ip.to_string(), None, 0);
                self.socket(ip_span, n, r.end - port.len()..r.end, 0);
            }
            return;
        }
        if !path_component
            && next != b'('
            && let Some(d) = domain::parse(p)
            && (self.n.defanged(r.clone()) || !self.file_or_code(p, &d))
        {
            self.domain_cand(r, d);
            return;
        }
        if let Some(ext) = validate::filename(p)
            && (self.kb.files.payload_exts.contains(&ext)
                || self.kb.files.ambiguous.contains_key(&ext))
        {
            self.push(IocType::Filename, r.clone(), p.to_owned(), None, 0);
        }
        // Samples are often named by their hash: "<sha256>.bin".
        let first = p.split('.').next().unwrap_or("");
        if b[r.start].is_ascii_hexdigit() {
            self.hex_runs(r.start..r.start + first.len());
        }
    }

    fn domain_cand(&mut self, r: Range<usize>, d: domain::Domain) {
        let ascii = d.ascii.clone();
        self.push(IocType::Domain, r, d.value, Some(ascii), 0);
    }

    /// Whether a valid-looking, not defanged name is really a file name or a member
    /// access in code: `readme.md`, `install.sh`, `user.id`, or a sentence run together
    /// ("attacks.In").
    fn file_or_code(&self, written: &str, d: &domain::Domain) -> bool {
        // A capitalised last part that is not all capitals: a sentence run together
        // ("attacks.In") or a programmatic identifier ("WScript.Shell", "ADODB.Stream",
        // "System.Net"); names are written in lower case or all capitals.
        let tld_written = written.rsplit('.').next().unwrap_or("");
        let tb = tld_written.as_bytes();
        let capitalised = tb.len() >= 2
            && tb[0].is_ascii_uppercase()
            && tb[1..].iter().any(u8::is_ascii_lowercase);
        if capitalised {
            return true;
        }
        let files = &self.kb.files;
        let lower = &d.value;
        if files.developer_files.contains(lower.as_str())
            || files.system_binaries.contains(lower.as_str())
        {
            return true;
        }
        if d.labels() != 2 {
            return false;
        }
        let (stem, tld) = lower.split_once('.').unwrap_or(("", ""));
        if let Some(stems) = files.ambiguous.get(tld)
            && (stems.is_empty() || stems.iter().any(|s| s == stem))
        {
            return true;
        }
        self.kb.ctx.code_objects.contains(stem)
    }

    fn plain(&mut self, r: Range<usize>) {
        let t = self.t;
        let p = &t[r.clone()];
        let n = p.len();
        if n >= 13 && p.as_bytes()[..4].eq_ignore_ascii_case(b"cve-") {
            if let Some(c) = validate::cve(p, self.kb.ctx.cve_years) {
                self.push(IocType::Cve, r, c, None, 0);
            }
            return;
        }
        if p.starts_with("AS") {
            if let Some(num) = validate::asn(p) {
                self.push(IocType::Asn, r, format!("AS{num}"), None, 0);
            }
            return;
        }
        if n == 42 && p.starts_with("0x") {
            if validate::wallet::eth(p) {
                self.push(IocType::Eth, r, p.to_owned(), None, 0);
            }
            return;
        }
        if (26..=62).contains(&n) && validate::wallet::btc(p) {
            self.push(IocType::Btc, r, p.to_owned(), None, 0);
            return;
        }
        if (n == 95 || n == 106) && validate::wallet::xmr(p) {
            self.push(IocType::Xmr, r, p.to_owned(), None, 0);
            return;
        }
        if n >= 20 && self.hex_url(r.clone()) {
            return;
        }
        if n >= 32 {
            self.hex_runs(r);
        }
    }

    /// A hex-encoded link (`687474703a2f2f…` is "http://").
    fn hex_url(&mut self, r: Range<usize>) -> bool {
        let b = &self.b[r.clone()];
        let starts = |p: &[u8]| b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p);
        if !(starts(b"687474703a2f2f") || starts(b"68747470733a2f2f")) {
            return false;
        }
        let digits = b.iter().take_while(|c| c.is_ascii_hexdigit()).count() & !1;
        let decoded: Vec<u8> = b[..digits]
            .chunks(2)
            .map_while(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
            .collect();
        let Ok(decoded) = String::from_utf8(decoded) else {
            return false;
        };
        let end = url_end(
            &decoded,
            decoded.find("://").map_or(0, |p| p + 3),
            decoded.len(),
        );
        match url::parse(&decoded[..end]) {
            Some(u) => {
                let span = r.start..r.start + digits;
                self.push(IocType::Url, span, u.value(), host_of(&u.host), ENCODED);
                true
            }
            None => false,
        }
    }

    /// Hex strings of a digest's exact length: whole runs of hex digits (a word glued to
    /// either side is fine: "hash=…hash"), but not `0x`-prefixed numbers.
    fn hex_runs(&mut self, r: Range<usize>) {
        let b = self.b;
        let mut i = r.start;
        while i < r.end {
            if !b[i].is_ascii_hexdigit() {
                i += 1;
                continue;
            }
            let s = i;
            while i < r.end && b[i].is_ascii_hexdigit() {
                i += 1;
            }
            if s >= 2 && b[s - 1].eq_ignore_ascii_case(&b'x') && b[s - 2] == b'0' {
                continue;
            }
            let hex = &self.t[s..i];
            if let Some(kind) = validate::hash_kind(hex)
                && !validate::implausible_hash(hex)
            {
                self.push(kind, s..i, hex.to_ascii_lowercase(), None, 0);
            }
        }
    }
}

/// Whether the `[` at `i` inside a link opens a placeholder: it follows a delimiter
/// (`=`, `/`, `?`, `&`) and holds a letter, or holds white space before its `]`.
fn placeholder(b: &[u8], i: usize) -> bool {
    let after_delim = matches!(b[i - 1], b'=' | b'/' | b'?' | b'&');
    let mut letter = false;
    for &c in b[i + 1..].iter().take(64) {
        match c {
            b']' => return after_delim && letter,
            b' ' | b'\t' => return true,
            c if c.is_ascii_alphabetic() => letter = true,
            c if c.is_ascii_whitespace() => return false,
            _ => {}
        }
    }
    false
}

/// `%XX` escapes decoded; `None` when the result is not UTF-8 or holds a control or
/// space character (a link never does).
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    let d = String::from_utf8(out).ok()?;
    (!d.chars().any(|c| c.is_control() || c.is_whitespace())).then_some(d)
}

/// `/24` after an IPv4 address: a network, not a URL path.
fn cidr(rest: &str) -> bool {
    rest.strip_prefix('/')
        .is_some_and(|n| !n.is_empty() && n.len() <= 2 && n.bytes().all(|c| c.is_ascii_digit()))
}

/// The token without surrounding punctuation and quotes.
fn trim_punct(s: &str) -> &str {
    s.trim_matches(|c: char| !(c.is_alphanumeric() || c == '@' || c == '/' || c == '%' || c == '~'))
}

fn trim_punct_end(s: &str) -> &str {
    s.trim_end_matches(|c: char| {
        matches!(
            c,
            '.' | ',' | ';' | ':' | ')' | ']' | '"' | '\'' | '`' | '*' | '!' | '?'
        )
    })
}
