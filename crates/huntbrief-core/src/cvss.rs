//! CVSS vectors stated in text (`CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`, `CVSS:4.0/...`):
//! what they say about reach, and for v3.x the base score they give (FIRST's v3.1 formula).

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

static VECTOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"CVSS:(3\.[01]|4\.0)/((?:[A-Z]{1,3}:[A-Z](?:/|(?-u:\b)))+)")
        .expect("the vector pattern is valid")
});

/// One parsed vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Vector {
    /// `3.0`, `3.1` or `4.0`.
    pub version: &'static str,
    /// The vector as written.
    pub text: String,
    /// Attack vector network (`AV:N`).
    pub network: bool,
    /// No privileges required (`PR:N`).
    pub no_privileges: bool,
    /// No user interaction (`UI:N`).
    pub no_interaction: bool,
    /// A high impact on confidentiality, integrity or availability (v3 `C/I/A:H`, v4
    /// `VC/VI/VA:H`).
    pub high_impact: bool,
    /// The v3.x base score; v4.0 scores need FIRST's lookup table and are not computed.
    pub score: Option<f32>,
}

impl Vector {
    /// Remote, unauthenticated, without user interaction, and with a high impact: a
    /// remote request that only slows a parser down is not what the rubric means.
    pub fn wide_open(&self) -> bool {
        self.network && self.no_privileges && self.no_interaction && self.high_impact
    }
}

/// Every well-formed vector in `text`, with its byte range.
pub fn vectors(text: &str) -> Vec<(Range<usize>, Vector)> {
    VECTOR
        .captures_iter(text)
        .filter_map(|c| {
            let whole = c.get(0)?;
            let version = match c.get(1)?.as_str() {
                "3.0" => "3.0",
                "3.1" => "3.1",
                _ => "4.0",
            };
            let metrics: Vec<(&str, &str)> = c
                .get(2)?
                .as_str()
                .split('/')
                .filter_map(|m| m.split_once(':'))
                .collect();
            let get = |k: &str| metrics.iter().find(|(m, _)| *m == k).map(|(_, v)| *v);
            // AV, PR and UI are mandatory in every version; without them it is no vector.
            let (av, pr, ui) = (get("AV")?, get("PR")?, get("UI")?);
            let high_impact = ["C", "I", "A", "VC", "VI", "VA"]
                .iter()
                .any(|k| get(k) == Some("H"));
            let score = if version == "4.0" {
                None
            } else {
                v3_score(&get)
            };
            Some((
                whole.range(),
                Vector {
                    version,
                    text: whole.as_str().trim_end_matches('/').to_owned(),
                    network: av == "N",
                    no_privileges: pr == "N",
                    no_interaction: ui == "N",
                    high_impact,
                    score,
                },
            ))
        })
        .collect()
}

/// The CVSS v3.x base score, or `None` when a base metric is missing or unknown.
fn v3_score<'a>(get: &impl Fn(&str) -> Option<&'a str>) -> Option<f32> {
    let changed = match get("S")? {
        "U" => false,
        "C" => true,
        _ => return None,
    };
    let av = match get("AV")? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        _ => return None,
    };
    let ac = match get("AC")? {
        "L" => 0.77,
        "H" => 0.44,
        _ => return None,
    };
    let pr = match (get("PR")?, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        _ => return None,
    };
    let ui = match get("UI")? {
        "N" => 0.85,
        "R" => 0.62,
        _ => return None,
    };
    let cia = |k: &str| match get(k)? {
        "H" => Some(0.56),
        "L" => Some(0.22),
        "N" => Some(0.0),
        _ => None,
    };
    let iss: f64 = 1.0 - (1.0 - cia("C")?) * (1.0 - cia("I")?) * (1.0 - cia("A")?);
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return Some(0.0);
    }
    let sum = if changed {
        1.08 * (impact + exploitability)
    } else {
        impact + exploitability
    };
    Some(round_up(sum.min(10.0)) as f32)
}

/// The specification's Roundup: the smallest one-decimal number not below `x`, robust to
/// floating-point noise.
fn round_up(x: f64) -> f64 {
    let n = (x * 100_000.0).round() as i64;
    if n % 10_000 == 0 {
        n as f64 / 100_000.0
    } else {
        ((n / 10_000) + 1) as f64 / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(v: &str) -> Option<f32> {
        vectors(v).first().and_then(|(_, v)| v.score)
    }

    #[test]
    fn v3_base_scores_follow_the_specification() {
        // Scores as NVD publishes them for these vectors.
        for (v, s) in [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
            ("CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N", 5.4),
            ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
        ] {
            assert_eq!(score(v), Some(s), "{v}");
        }
    }

    #[test]
    fn reach_is_read_in_v3_and_v4() {
        let text = "Scored CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N by the CNA; NVD: CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H.";
        let found = vectors(text);
        assert_eq!(found.len(), 2);
        assert!(found[0].1.wide_open() && found[0].1.score.is_none());
        assert_eq!(found[0].1.version, "4.0");
        assert!(!found[1].1.wide_open());
        let low = vectors("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L");
        assert!(
            !low[0].1.wide_open(),
            "remote and unauthenticated, but a low impact"
        );
        assert_eq!(
            found[1].1.text,
            "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"
        );
    }

    #[test]
    fn malformed_vectors_are_not_vectors() {
        assert!(vectors("CVSS:3.1/AC:L/PR:N").is_empty(), "no AV");
        assert!(vectors("CVSS:2.0/AV:N/AC:L/Au:N").is_empty());
        assert_eq!(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:X/C:H/I:H/A:H"), None);
        assert_eq!(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"), None);
    }
}
