//! Development aid: per-technique errors of the rule layers on the inspection split
//! (documents whose index mod 5 is 0, 1 or 2); folds 3 and 4 are never inspected.
use huntbrief_core::attack::eval::{Level, normalize};
use huntbrief_core::attack::{AttackKb, Layers, infer_layers};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

fn main() {
    let kb = AttackKb::embedded();
    let path = std::env::args()
        .nth(1)
        .unwrap_or("../shared/eval/attack-dev-documents.jsonl".into());
    let want: Option<String> = std::env::args().nth(2);
    let mut docs: Vec<Value> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    docs.sort_by(|a, b| a["doc_id"].as_str().cmp(&b["doc_id"].as_str()));
    let space: BTreeSet<String> = docs
        .iter()
        .flat_map(|d| {
            d["techniques"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().to_owned())
        })
        .collect();
    let space = normalize(
        &space.into_iter().collect::<Vec<_>>(),
        &kb.table,
        Level::Technique,
    );
    let mut per: BTreeMap<String, [usize; 3]> = BTreeMap::new();
    let layers = Layers {
        ids: true,
        patterns: true,
        model: false,
    };
    let mut missed = BTreeSet::new();
    for (i, d) in docs.iter().enumerate() {
        if i % 5 > 2 {
            continue;
        }
        let gold: Vec<String> = d["techniques"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_owned())
            .collect();
        let gold = normalize(&gold, &kb.table, Level::Technique);
        let hits = infer_layers(d["text"].as_str().unwrap(), &kb, layers);
        let pred: BTreeSet<String> = hits.iter().map(|h| h.id.clone()).collect();
        for h in &hits {
            if !space.contains(&h.id) {
                continue;
            }
            let e = per.entry(h.id.clone()).or_default();
            if gold.contains(&h.id) {
                e[0] += 1
            } else {
                e[1] += 1;
                if want.as_deref() == Some(h.id.as_str()) {
                    for ev in &h.details {
                        println!(
                            "FP {} [{}] {:?} :: {}",
                            h.id,
                            d["doc_id"].as_str().unwrap(),
                            ev.matched,
                            ev.sentence.chars().take(300).collect::<String>()
                        );
                    }
                }
            }
        }
        for g in gold.iter().filter(|g| !pred.contains(*g)) {
            per.entry(g.clone()).or_default()[2] += 1;
            if want.as_deref() == Some(g.as_str()) {
                missed.insert(d["doc_id"].as_str().unwrap().to_owned());
            }
        }
    }
    if let Some(w) = &want {
        let sp = std::path::Path::new(&std::env::args().nth(1).unwrap())
            .with_file_name("attack-dev-sentences.jsonl");
        for l in std::fs::read_to_string(sp).unwrap().lines() {
            let v: Value = serde_json::from_str(l).unwrap();
            if missed.contains(v["doc_id"].as_str().unwrap())
                && v["techniques"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x.as_str() == Some(w.as_str()))
            {
                println!(
                    "FN {w} [{}] {}",
                    v["doc_id"]
                        .as_str()
                        .unwrap()
                        .chars()
                        .take(30)
                        .collect::<String>(),
                    v["text"]
                        .as_str()
                        .unwrap()
                        .chars()
                        .take(250)
                        .collect::<String>()
                );
            }
        }
    }
    if want.is_none() {
        let mut v: Vec<_> = per.into_iter().collect();
        v.sort_by_key(|(_, c)| std::cmp::Reverse(c[1]));
        for (id, c) in v {
            println!("{id}\ttp {}\tfp {}\tfn {}", c[0], c[1], c[2]);
        }
    }
}
