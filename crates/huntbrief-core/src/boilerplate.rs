//! Removal of page chrome (bylines, reading times, share buttons, feed trailers) from
//! article text. The rules live in `data/boilerplate.toml`.

use regex::Regex;
use serde::Deserialize;

use crate::kb::KbError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Line,
    Phrase,
    Tail,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    rule: Vec<RuleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    name: String,
    scope: Scope,
    pattern: String,
    examples: Vec<String>,
    #[serde(default)]
    keeps: Vec<String>,
}

#[derive(Debug)]
struct Rule {
    name: String,
    scope: Scope,
    regex: Regex,
}

/// The compiled chrome rules.
#[derive(Debug)]
pub struct Boilerplate {
    rules: Vec<Rule>,
}

impl Boilerplate {
    pub const FILE: &'static str = "boilerplate.toml";

    /// Parses and compiles the rule file, checking each rule against its own examples.
    pub fn parse(source: &str) -> Result<Self, KbError> {
        let file: RuleFile = toml::from_str(source).map_err(|e| KbError::parse(Self::FILE, e))?;
        let mut rules = Vec::with_capacity(file.rule.len());
        for spec in file.rule {
            let regex = Regex::new(&spec.pattern)
                .map_err(|e| KbError::invalid(Self::FILE, format!("rule {}: {e}", spec.name)))?;
            let rule = Rule {
                name: spec.name,
                scope: spec.scope,
                regex,
            };
            for example in &spec.examples {
                if !rule.removes(example) {
                    return Err(KbError::invalid(
                        Self::FILE,
                        format!("rule {} does not match its example {example:?}", rule.name),
                    ));
                }
            }
            for keep in &spec.keeps {
                if rule.removes(keep) {
                    return Err(KbError::invalid(
                        Self::FILE,
                        format!(
                            "rule {} removes the prose it must keep: {keep:?}",
                            rule.name
                        ),
                    ));
                }
            }
            if rules.iter().any(|r: &Rule| r.name == rule.name) {
                return Err(KbError::invalid(
                    Self::FILE,
                    format!("duplicate rule {}", rule.name),
                ));
            }
            rules.push(rule);
        }
        Ok(Self { rules })
    }

    /// The text without chrome: dropped lines disappear, cut phrases leave the rest of
    /// their line, and a trailer cuts the text where it starts.
    pub fn strip(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let tail_from = text.len() / 3;
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let start = offset;
            offset += line.len();
            let trimmed = line.trim();
            if trimmed.is_empty() {
                out.push_str(line);
                continue;
            }
            let trailer = self.matches_whole(Scope::Tail, trimmed);
            if trailer && start >= tail_from {
                break;
            }
            // Early in the text a trailer heading is only dropped itself.
            if trailer || self.matches_whole(Scope::Line, trimmed) {
                continue;
            }
            let mut kept = line.to_owned();
            for rule in self.rules.iter().filter(|r| r.scope == Scope::Phrase) {
                if rule.regex.is_match(&kept) {
                    kept = rule.regex.replace_all(&kept, "").into_owned();
                }
            }
            if kept == line {
                out.push_str(line);
            } else if !kept.trim().is_empty() {
                out.push_str(kept.trim());
                if line.ends_with('\n') {
                    out.push('\n');
                }
            }
        }
        out
    }

    fn matches_whole(&self, scope: Scope, line: &str) -> bool {
        self.rules
            .iter()
            .filter(|r| r.scope == scope)
            .any(|r| r.matches_whole(line))
    }
}

impl Rule {
    fn matches_whole(&self, line: &str) -> bool {
        self.regex
            .find(line)
            .is_some_and(|m| m.start() == 0 && m.end() == line.len())
    }

    fn removes(&self, text: &str) -> bool {
        match self.scope {
            Scope::Phrase => self.regex.is_match(text),
            Scope::Line | Scope::Tail => self.matches_whole(text.trim()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::EMBEDDED;

    fn embedded() -> Boilerplate {
        Boilerplate::parse(EMBEDDED.get(Boilerplate::FILE).unwrap()).unwrap()
    }

    #[test]
    fn embedded_rules_pass_their_own_examples() {
        // parse() checks examples and keeps; this asserts the shipped file is sound.
        assert!(embedded().rules.len() >= 10);
    }

    #[test]
    fn schema_rejects_unknown_fields_bad_regex_and_failing_examples() {
        let unknown = "[[rule]]\nname='a'\nscope='line'\npattern='x'\nexamples=['x']\ncolour='red'";
        assert!(Boilerplate::parse(unknown).is_err());
        let bad = "[[rule]]\nname='a'\nscope='line'\npattern='('\nexamples=[]";
        assert!(Boilerplate::parse(bad).is_err());
        let wrong = "[[rule]]\nname='a'\nscope='line'\npattern='abc'\nexamples=['abcd']";
        assert!(Boilerplate::parse(wrong).is_err());
        let greedy =
            "[[rule]]\nname='a'\nscope='phrase'\npattern='e'\nexamples=['e']\nkeeps=['the']";
        assert!(Boilerplate::parse(greedy).is_err());
    }

    #[test]
    fn strips_the_seed_article_chrome() {
        let text = "Snyk Blog Written by Daniel Appelquist \nFebruary 15, 2023\n0 mins read Editor’s note: The following think piece examines the term.\nShare on X\nThe body goes on.";
        assert_eq!(
            embedded().strip(text),
            "Editor’s note: The following think piece examines the term.\nThe body goes on."
        );
    }

    #[test]
    fn trailer_cuts_only_in_the_later_part_of_the_text() {
        let bp = embedded();
        let text = "Attackers deployed a loader on the exposed servers in March.\nThey moved laterally with stolen credentials and wiped backups.\nRelated articles\nRansomware gang hits hospital\nSupply chain attack on npm";
        assert_eq!(
            bp.strip(text),
            "Attackers deployed a loader on the exposed servers in March.\nThey moved laterally with stolen credentials and wiped backups.\n"
        );
        let early = "Related articles\nThe actor used a new loader in this long enough paragraph of the article body.";
        assert_eq!(bp.strip(early), early.lines().nth(1).unwrap());
    }

    #[test]
    fn feed_trailer_phrase_is_cut() {
        let text = "Details of the loader follow.\nThe post Lazarus returns appeared first on Example Blog.";
        assert_eq!(embedded().strip(text), "Details of the loader follow.\n");
    }
}
