//! Sentence features for the linear model: lower-cased word tokens (command-line
//! punctuation kept inside a token: `cmd.exe`, `-enc`, `/create`), then hashed unigrams and
//! bigrams. The hash is FNV-1a, fixed here, so weights trained once score the same
//! everywhere.

/// Number of hash buckets (a power of two).
pub const BUCKETS: u32 = 1 << 20;

/// Tokens of `s`: runs of letters and digits, joined across `.` `_` `-` when a letter or
/// digit follows (so `rundll32.exe` and `e-mail` stay whole), numbers reduced to `0`,
/// long hex runs to `#hex`. A leading `/` or `-` on a switch is kept (`/create`, `-enc`).
pub fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_alphanumeric() {
            // A switch (`/create`, `-enc`): the sigil follows a space or starts the text.
            if cur.is_empty() && i > 0 && matches!(chars[i - 1], '/' | '-') {
                let spaced = i < 2 || chars[i - 2].is_whitespace();
                if spaced {
                    cur.push(chars[i - 1]);
                }
            }
            cur.extend(c.to_lowercase());
        } else if matches!(c, '.' | '_' | '-')
            && !cur.is_empty()
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric())
        {
            cur.push(c);
        } else if !cur.is_empty() {
            push(&mut out, std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        push(&mut out, cur);
    }
    out
}

fn push(out: &mut Vec<String>, tok: String) {
    let t = tok.trim_matches(['.', '_', '-']);
    let digits = t.chars().filter(char::is_ascii_digit).count();
    let word = if t.len() >= 12 && t.chars().all(|c| c.is_ascii_hexdigit()) {
        "#hex".to_owned()
    } else if digits > 0 && t.chars().all(|c| c.is_ascii_digit() || c == '.') {
        "0".to_owned()
    } else if tok.starts_with(['/', '-']) {
        tok
    } else {
        t.to_owned()
    };
    if !word.is_empty() {
        out.push(word);
    }
}

fn fnv1a(bytes: impl IntoIterator<Item = u8>, seed: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed;
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn bucket(h: u64) -> u32 {
    // Fold the high bits in: FNV's low bits alone mix poorly for short keys.
    ((h ^ (h >> 29)) as u32) & (BUCKETS - 1)
}

/// Sorted, deduplicated feature buckets of a sentence: unigrams and bigrams.
pub fn features(sentence: &str) -> Vec<u32> {
    let toks = tokens(sentence);
    let mut f: Vec<u32> = Vec::with_capacity(toks.len() * 2);
    for (i, t) in toks.iter().enumerate() {
        f.push(bucket(fnv1a(t.bytes(), 1)));
        if let Some(next) = toks.get(i + 1) {
            let pair = t.bytes().chain([b' ']).chain(next.bytes());
            f.push(bucket(fnv1a(pair, 2)));
        }
    }
    f.sort_unstable();
    f.dedup();
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keep_command_lines_and_file_names() {
        assert_eq!(
            tokens("The actor ran schtasks.exe /Create /TN Upd and cmd.exe -enc AAAA."),
            [
                "the",
                "actor",
                "ran",
                "schtasks.exe",
                "/create",
                "/tn",
                "upd",
                "and",
                "cmd.exe",
                "-enc",
                "aaaa"
            ]
        );
        assert_eq!(tokens("Port 443 and 10.0.0.1"), ["port", "0", "and", "0"]);
        assert_eq!(
            tokens("hash d41d8cd98f00b204e9800998ecf8427e"),
            ["hash", "#hex"]
        );
        assert_eq!(tokens("e-mail, C2."), ["e-mail", "c2"]);
        assert!(tokens("").is_empty());
    }

    #[test]
    fn features_are_stable_and_include_bigrams() {
        let a = features("Scheduled task created");
        assert_eq!(a, features("scheduled TASK created!"));
        // 3 unigrams + 2 bigrams, barring a collision
        assert_eq!(a.len(), 5);
        assert!(a.iter().all(|&b| b < BUCKETS));
        let unigram_only = features("scheduled");
        assert_eq!(unigram_only.len(), 1);
        assert!(a.contains(&unigram_only[0]));
        // The hash is part of the model format: pin one value.
        assert_eq!(features("PowerShell"), [188_491]);
    }
}
