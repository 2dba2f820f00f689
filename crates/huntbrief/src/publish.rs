//! Writes the published folder from the store. The folder is derived state: every run
//! rewrites what differs, removes briefing files nothing maps to any more and temp files
//! of an interrupted run, and touches nothing else, so an unchanged store changes no file.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use huntbrief_core::Severity;
use huntbrief_render::export::{Exported, Format};
use huntbrief_render::layout::{Entry, files};
use huntbrief_store::StoredArticle;

/// Prefix of the temp files written before an atomic rename.
const TEMP_PREFIX: &str = ".huntbrief-tmp-";

/// What a publish changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Published {
    pub written: usize,
    pub removed: usize,
}

pub fn publish(out: &Path, articles: &[StoredArticle]) -> Result<Published> {
    let entries: Vec<Entry<'_>> = articles
        .iter()
        .map(|a| Entry {
            briefing: &a.briefing,
            date: a
                .briefing
                .published
                .unwrap_or_else(|| date_of(a.first_seen)),
        })
        .collect();
    let wanted = files(&entries);
    fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let written = write_changed(
        out,
        wanted
            .iter()
            .map(|(path, text)| (path.as_str(), text.as_bytes())),
    )?;
    let removed = remove_stale(out, |relative| wanted.contains_key(relative))?;
    Ok(Published { written, removed })
}

/// Which stored briefings an export takes.
#[derive(Debug, Clone, Copy)]
pub struct Selection {
    /// Only briefings filed on or after this day (published, else first seen).
    pub since: Option<NaiveDate>,
    pub min_severity: Severity,
}

/// Writes `formats` of the selected briefings under `dir`, each file only when it
/// changed; a many-file format's folder loses the files it no longer wants. Returns how
/// many briefings were exported and what changed.
pub fn export(
    dir: &Path,
    formats: &[Format],
    articles: &[StoredArticle],
    selection: &Selection,
) -> Result<(usize, Published)> {
    let items: Vec<Exported<'_>> = articles
        .iter()
        .filter(|a| a.briefing.severity.at_least(selection.min_severity))
        .filter(|a| selection.since.is_none_or(|since| filed(a) >= since))
        .map(|a| Exported {
            briefing: &a.briefing,
            first_seen: time_of(a.first_seen),
            changed_at: time_of(a.changed_at),
        })
        .collect();
    let mut total = Published::default();
    for &format in formats {
        let wanted = format.files(&items);
        let root = dir.join(format.folder().unwrap_or_default());
        fs::create_dir_all(&root).with_context(|| format!("cannot create {}", root.display()))?;
        total.written += write_changed(
            &root,
            wanted
                .iter()
                .map(|(path, bytes)| (path.as_str(), bytes.as_slice())),
        )?;
        if format.folder().is_some() {
            total.removed += remove_unwanted(&root, |name| wanted.contains_key(name))?;
        }
    }
    Ok((items.len(), total))
}

/// The day a briefing is filed under: its published date, else when it was first seen.
fn filed(a: &StoredArticle) -> NaiveDate {
    a.briefing
        .published
        .unwrap_or_else(|| time_of(a.first_seen).date_naive())
}

fn time_of(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).unwrap_or_default()
}

fn date_of(unix: i64) -> NaiveDate {
    DateTime::from_timestamp(unix, 0).map_or(NaiveDate::MIN, |d| d.date_naive())
}

/// Writes each file whose contents differ from what is on disk; returns how many.
fn write_changed<'a>(
    root: &Path,
    files: impl Iterator<Item = (&'a str, &'a [u8])>,
) -> Result<usize> {
    let mut written = 0;
    for (relative, contents) in files {
        let path = root.join(relative);
        if fs::read(&path).is_ok_and(|old| old == contents) {
            continue;
        }
        write_atomically(&path, contents)?;
        written += 1;
    }
    Ok(written)
}

/// In a folder an export owns: removes temp files and files it does not want.
fn remove_unwanted(folder: &Path, wanted: impl Fn(&str) -> bool) -> Result<usize> {
    let mut removed = 0;
    for entry in fs::read_dir(folder)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !entry.path().is_file() {
            continue;
        }
        let temp = name.starts_with(TEMP_PREFIX);
        if temp || !wanted(&name) {
            fs::remove_file(entry.path())
                .with_context(|| format!("cannot remove {}", entry.path().display()))?;
            removed += usize::from(!temp);
        }
    }
    Ok(removed)
}

/// Writes through a temp file in the same folder, synced, then renamed over the target:
/// a reader (or a crash) sees the old file or the new one, never half of one.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .context("a published file has a parent folder")?;
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temp = dir.join(format!("{TEMP_PREFIX}{}-{name}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = File::create(&temp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        fs::rename(&temp, path)
    };
    write()
        .with_context(|| format!("cannot write {}", path.display()))
        .inspect_err(|_| {
            let _ = fs::remove_file(&temp);
        })
}

/// Removes temp files, and briefing files (`YYYY-MM-DD/*.md`) not in the wanted set;
/// empty day folders go too.
fn remove_stale(out: &Path, wanted: impl Fn(&str) -> bool) -> Result<usize> {
    let mut removed = 0;
    for entry in fs::read_dir(out)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(TEMP_PREFIX) {
            fs::remove_file(entry.path())?;
            continue;
        }
        if !entry.path().is_dir() || NaiveDate::parse_from_str(&name, "%Y-%m-%d").is_err() {
            continue;
        }
        let mut left = 0;
        for file in fs::read_dir(entry.path())?.flatten() {
            let file_name = file.file_name().to_string_lossy().into_owned();
            let temp = file_name.starts_with(TEMP_PREFIX);
            let stale_brief =
                !temp && file_name.ends_with(".md") && !wanted(&format!("{name}/{file_name}"));
            if temp || stale_brief {
                fs::remove_file(file.path())?;
                removed += usize::from(stale_brief);
            } else {
                left += 1;
            }
        }
        if left == 0 {
            let _ = fs::remove_dir(entry.path());
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use huntbrief_core::{Article, Body, KnowledgeBase, analyze};

    fn stored(title: &str, url: &str, day: u32) -> StoredArticle {
        let article = Article {
            title: title.into(),
            url: Some(url.into()),
            sources: vec!["Lab".into()],
            published: NaiveDate::from_ymd_opt(2026, 11, day),
            text: format!("{title}. The actor deployed a loader."),
            body: Body::Full,
        };
        StoredArticle {
            url: url.into(),
            first_seen: 1_700_000_000,
            changed_at: 1_700_000_000,
            text_hash: String::new(),
            text: article.text.clone(),
            briefing: analyze(&article, &KnowledgeBase::embedded().unwrap()),
        }
    }

    fn temp_dir(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("hb-publish-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn publishes_the_layout_and_is_idempotent() {
        let out = temp_dir("idem");
        let a = [
            stored("Loader hits logistics", "https://lab.example/1", 20),
            stored("Loader hits logistics", "https://lab.example/2", 20),
        ];
        let first = publish(&out, &a).unwrap();
        assert_eq!(
            first.written, 5,
            "two briefings, INDEX.md, _TEMPLATES.md, briefings.jsonl"
        );
        assert!(out.join("2026-11-20/loader-hits-logistics.md").exists());
        let second_slug = format!("2026-11-20/loader-hits-logistics-{}.md", a[1].briefing.id);
        assert!(
            out.join(&second_slug).exists(),
            "same-day slug collision gets the id"
        );
        let index = fs::read_to_string(out.join("INDEX.md")).unwrap();
        assert!(index.contains(&format!(
            "## 2026-11-20\n\n- **[{}]** [Loader hits logistics](2026-11-20/loader-hits-logistics",
            a[0].briefing.severity.as_str()
        )));
        assert_eq!(
            fs::read_to_string(out.join("briefings.jsonl"))
                .unwrap()
                .lines()
                .count(),
            2
        );
        assert_eq!(
            publish(&out, &a).unwrap(),
            Published::default(),
            "nothing changes the second time"
        );
        fs::remove_dir_all(&out).unwrap();
    }

    #[test]
    fn stale_briefings_and_temp_files_are_removed() {
        let out = temp_dir("stale");
        publish(&out, &[stored("Old title", "https://lab.example/1", 20)]).unwrap();
        fs::write(out.join("2026-11-20/.huntbrief-tmp-99-x.md"), "half").unwrap();
        fs::write(out.join(".huntbrief-tmp-99-INDEX.md"), "half").unwrap();
        fs::write(out.join("2026-11-20/notes.txt"), "mine").unwrap();
        let p = publish(&out, &[stored("New title", "https://lab.example/1", 21)]).unwrap();
        assert_eq!(p.removed, 1);
        assert!(!out.join("2026-11-20/old-title.md").exists());
        assert!(out.join("2026-11-21/new-title.md").exists());
        assert!(
            out.join("2026-11-20/notes.txt").exists(),
            "files that are not ours stay"
        );
        let leftovers: Vec<_> = walk(&out)
            .into_iter()
            .filter(|p| p.contains(TEMP_PREFIX))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        fs::remove_dir_all(&out).unwrap();
    }

    #[test]
    fn exports_select_by_severity_and_day_and_prune_their_folder() {
        let out = temp_dir("export");
        let mut a = [
            stored("Old low", "https://lab.example/1", 10),
            stored("New high", "https://lab.example/2", 20),
            stored("New crit", "https://lab.example/3", 21),
        ];
        a[0].briefing.severity = Severity::Low;
        a[1].briefing.severity = Severity::High;
        a[2].briefing.severity = Severity::Crit;
        let all = Selection {
            since: None,
            min_severity: Severity::Low,
        };
        let (n, written) = export(&out, &[Format::Archive, Format::Csv], &a, &all).unwrap();
        assert_eq!((n, written.written, written.removed), (3, 4, 0));
        fs::write(out.join("archive/.huntbrief-tmp-1-x.txt"), "half").unwrap();
        fs::write(out.join("mine.txt"), "not the export's").unwrap();
        let serious = Selection {
            since: NaiveDate::from_ymd_opt(2026, 11, 21),
            min_severity: Severity::High,
        };
        let (n, changed) = export(&out, &[Format::Archive], &a, &serious).unwrap();
        assert_eq!(
            (n, changed.removed),
            (1, 3),
            "ordinals changed: all three earlier files go (the temp file too, uncounted)"
        );
        let names: Vec<String> = fs::read_dir(out.join("archive"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec![format!("001_{}.txt", a[2].briefing.id)]);
        assert!(out.join("mine.txt").exists() && out.join("indicators.csv").exists());
        fs::remove_dir_all(&out).unwrap();
    }

    fn walk(dir: &Path) -> Vec<String> {
        let mut all = Vec::new();
        for e in fs::read_dir(dir).unwrap().flatten() {
            if e.path().is_dir() {
                all.extend(walk(&e.path()));
            } else {
                all.push(e.path().display().to_string());
            }
        }
        all
    }
}
