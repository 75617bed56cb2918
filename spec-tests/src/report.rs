//! Counting, the table, the JSON dump, and the expectations file with its diff.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{json, Map, Value};
use spindle_validate::Features;

use crate::{features_label, DirectiveReport, Outcome, ScriptReport, CHECKED_KINDS};

/// The results of one suite (one folder).
#[derive(Clone, Debug)]
pub struct SuiteReport {
    /// The folder: `wasm-v3`, `threads`, ...
    pub name: String,
    pub features: Features,
    /// Sorted by label.
    pub scripts: Vec<ScriptReport>,
}

impl SuiteReport {
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for directive in self.scripts.iter().flat_map(|s| &s.directives) {
            counts.add(directive);
        }
        counts
    }

    /// Every failing directive as (script label, directive).
    pub fn failures(&self) -> impl Iterator<Item = (&str, &DirectiveReport)> {
        self.scripts
            .iter()
            .flat_map(|s| s.failures().map(move |d| (s.label.as_str(), d)))
    }
}

/// Counts for one directive kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KindCounts {
    /// Includes `text_level`.
    pub passed: u64,
    pub failed: u64,
    pub not_run: u64,
    /// Passed because `wast` rejected the text before it reached us.
    pub text_level: u64,
}

/// Counts of a script, a suite or everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub by_kind: BTreeMap<&'static str, KindCounts>,
    /// Modules Spindle and wasmparser judged differently.
    pub disagreements: u64,
    /// Modules where wasmparser did not do what the script expects.
    pub wasmparser_vs_spec: u64,
}

impl Counts {
    pub fn add(&mut self, d: &DirectiveReport) {
        let k = self.by_kind.entry(d.kind).or_default();
        match d.outcome {
            Outcome::Passed => k.passed += 1,
            Outcome::PassedTextLevel => {
                k.passed += 1;
                k.text_level += 1;
            }
            Outcome::Failed(_) => k.failed += 1,
            Outcome::NotRun => k.not_run += 1,
        }
        if let Some(diff) = &d.differential {
            self.disagreements += u64::from(!diff.agree());
            self.wasmparser_vs_spec += u64::from(!diff.wasmparser_matches_spec());
        }
    }

    pub fn merge(&mut self, other: &Counts) {
        for (kind, c) in &other.by_kind {
            let k = self.by_kind.entry(kind).or_default();
            k.passed += c.passed;
            k.failed += c.failed;
            k.not_run += c.not_run;
            k.text_level += c.text_level;
        }
        self.disagreements += other.disagreements;
        self.wasmparser_vs_spec += other.wasmparser_vs_spec;
    }

    pub fn kind(&self, kind: &str) -> KindCounts {
        self.by_kind.get(kind).copied().unwrap_or_default()
    }

    /// All kinds added up.
    pub fn total(&self) -> KindCounts {
        let mut t = KindCounts::default();
        for c in self.by_kind.values() {
            t.passed += c.passed;
            t.failed += c.failed;
            t.not_run += c.not_run;
            t.text_level += c.text_level;
        }
        t
    }

    /// Flat `name -> count` map, as in the JSON files.
    pub fn flat(&self) -> BTreeMap<String, u64> {
        let total = self.total();
        let mut m = BTreeMap::new();
        m.insert("passed".to_string(), total.passed);
        m.insert("failed".to_string(), total.failed);
        m.insert("not_run".to_string(), total.not_run);
        m.insert("disagreements".to_string(), self.disagreements);
        m.insert("wasmparser_vs_spec".to_string(), self.wasmparser_vs_spec);
        for kind in CHECKED_KINDS {
            let c = self.kind(kind);
            m.insert(format!("{kind}.passed"), c.passed);
            m.insert(format!("{kind}.failed"), c.failed);
            if kind != crate::MODULE {
                m.insert(format!("{kind}.text_level"), c.text_level);
            }
        }
        for (kind, c) in &self.by_kind {
            if !CHECKED_KINDS.contains(kind) {
                if c.not_run > 0 {
                    m.insert(format!("not_run.{kind}"), c.not_run);
                }
                if c.failed > 0 {
                    m.insert(format!("{kind}.failed"), c.failed);
                }
            }
        }
        m
    }
}

/// All suites' counts added up.
pub fn totals(suites: &[SuiteReport]) -> Counts {
    let mut t = Counts::default();
    for s in suites {
        t.merge(&s.counts());
    }
    t
}

/// The one-line key of a failing directive, as in the expectations file.
pub fn failure_key(label: &str, d: &DirectiveReport) -> String {
    format!("{label}:{} {}", d.line, d.kind)
}

/// One row per suite plus a totals row, then the not-run directives by kind.
pub fn render_table(suites: &[SuiteReport]) -> String {
    let header = [
        "suite",
        "features",
        "module",
        "assert_malformed",
        "assert_invalid",
        "not run",
        "passed",
        "failed",
        "wp≠us",
        "wp≠spec",
    ];
    let mut rows: Vec<[String; 10]> = Vec::new();
    let row = |name: &str, features: String, c: &Counts| {
        let pf = |kind: &str| {
            let k = c.kind(kind);
            if k.text_level > 0 {
                format!("{}({} text)/{}", k.passed, k.text_level, k.failed)
            } else {
                format!("{}/{}", k.passed, k.failed)
            }
        };
        let t = c.total();
        [
            name.to_string(),
            features,
            pf(crate::MODULE),
            pf(crate::ASSERT_MALFORMED),
            pf(crate::ASSERT_INVALID),
            t.not_run.to_string(),
            t.passed.to_string(),
            t.failed.to_string(),
            c.disagreements.to_string(),
            c.wasmparser_vs_spec.to_string(),
        ]
    };
    for s in suites {
        rows.push(row(&s.name, features_label(&s.features), &s.counts()));
    }
    let total = totals(suites);
    rows.push(row("TOTAL", String::new(), &total));
    let mut widths = header.map(|h| h.chars().count());
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let pad = w - cell.chars().count();
            if i < 2 {
                l.push_str(cell);
                l.extend(std::iter::repeat_n(' ', pad));
            } else {
                l.extend(std::iter::repeat_n(' ', pad));
                l.push_str(cell);
            }
            l.push_str("  ");
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&header.map(String::from));
    for (i, r) in rows.iter().enumerate() {
        if i + 1 == rows.len() {
            line(&widths.map(|w| "-".repeat(w)));
        }
        line(r);
    }
    let not_run: Vec<String> = total
        .by_kind
        .iter()
        .filter(|(_, c)| c.not_run > 0)
        .map(|(kind, c)| format!("{kind} {}", c.not_run))
        .collect();
    let _ = writeln!(out, "not run by kind: {}", not_run.join(", "));
    out.push_str(
        "cells are passed/failed; (N text): rejected by the wast text parser before reaching \
         us; wp≠us: wasmparser disagrees with us; wp≠spec: wasmparser disagrees with the script\n",
    );
    out
}

/// Every failing directive, one per line: `label:line: kind: why`.
pub fn render_failures(suites: &[SuiteReport]) -> String {
    let mut out = String::new();
    for s in suites {
        for (label, d) in s.failures() {
            let _ = writeln!(out, "{label}:{}: {}: {}", d.line, d.kind, why(d));
        }
    }
    out
}

fn why(d: &DirectiveReport) -> &str {
    match &d.outcome {
        Outcome::Failed(why) => why,
        _ => "",
    }
}

/// The full dump: per suite its counts, its failures with the reasons, and the modules
/// where wasmparser did not do what the script expects.
pub fn to_json(suites: &[SuiteReport]) -> Value {
    let suites_json: Vec<Value> = suites
        .iter()
        .map(|s| {
            let failures: Vec<Value> = s
                .failures()
                .map(|(label, d)| {
                    json!({"at": format!("{label}:{}", d.line), "kind": d.kind, "why": why(d)})
                })
                .collect();
            let wasmparser_vs_spec: Vec<Value> = s
                .scripts
                .iter()
                .flat_map(|sc| sc.directives.iter().map(move |d| (sc, d)))
                .filter_map(|(sc, d)| {
                    let diff = d.differential.as_ref()?;
                    (!diff.wasmparser_matches_spec()).then(|| {
                        json!({
                            "at": format!("{}:{}", sc.label, d.line),
                            "kind": d.kind,
                            "wasmparser": match &diff.wasmparser {
                                Ok(()) => "accepts".to_string(),
                                Err(e) => format!("rejects: {e}"),
                            },
                        })
                    })
                })
                .collect();
            json!({
                "suite": s.name,
                "features": features_label(&s.features),
                "counts": s.counts().flat(),
                "failures": failures,
                "wasmparser_vs_spec": wasmparser_vs_spec,
            })
        })
        .collect();
    json!({ "suites": suites_json, "totals": totals(suites).flat() })
}

/// What the expectations file holds: per suite its features, counts and the keys of its
/// failing directives; and the totals.
pub fn expectations(suites: &[SuiteReport]) -> Value {
    let mut map = Map::new();
    for s in suites {
        let failures: Vec<String> = s
            .failures()
            .map(|(label, d)| failure_key(label, d))
            .collect();
        map.insert(
            s.name.clone(),
            json!({
                "features": features_label(&s.features),
                "counts": s.counts().flat(),
                "failures": failures,
            }),
        );
    }
    json!({ "suites": map, "totals": totals(suites).flat() })
}

/// How `actual` differs from `expected` (both as made by [`expectations`]), as readable
/// lines; empty when they match.
pub fn compare_expectations(expected: &Value, actual: &Value) -> Vec<String> {
    const SHOWN: usize = 40;
    let mut out = Vec::new();
    let empty = Map::new();
    let suites = |v: &Value| {
        v.get("suites")
            .and_then(Value::as_object)
            .unwrap_or(&empty)
            .clone()
    };
    let (exp_suites, act_suites) = (suites(expected), suites(actual));
    let mut names: Vec<&String> = act_suites.keys().collect();
    names.extend(exp_suites.keys().filter(|k| !act_suites.contains_key(*k)));
    for name in names {
        let (Some(exp), Some(act)) = (exp_suites.get(name), act_suites.get(name)) else {
            let side = if exp_suites.contains_key(name) {
                "expected"
            } else {
                "actual results"
            };
            out.push(format!("suite {name}: only in the {side}"));
            continue;
        };
        let mut lines = Vec::new();
        if exp.get("features") != act.get("features") {
            lines.push(format!(
                "  features: {} -> {}",
                exp.get("features").unwrap_or(&Value::Null),
                act.get("features").unwrap_or(&Value::Null)
            ));
        }
        lines.extend(compare_counts(exp.get("counts"), act.get("counts")));
        let keys = |v: &Value| -> Vec<String> {
            let mut keys: Vec<String> = v
                .get("failures")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            keys.sort();
            keys
        };
        let (exp_fail, act_fail) = (keys(exp), keys(act));
        let newly_failing = multiset_minus(&act_fail, &exp_fail);
        let now_passing = multiset_minus(&exp_fail, &act_fail);
        for (what, mut list) in [
            ("newly failing", newly_failing),
            ("no longer failing", now_passing),
        ] {
            list.sort_by_cached_key(|key| natural_order(key));
            for key in list.iter().take(SHOWN) {
                lines.push(format!("  {what}: {key}"));
            }
            if list.len() > SHOWN {
                lines.push(format!("  ... and {} more {what}", list.len() - SHOWN));
            }
        }
        if !lines.is_empty() {
            out.push(format!("suite {name}:"));
            out.extend(lines);
        }
    }
    let totals = compare_counts(expected.get("totals"), actual.get("totals"));
    if !totals.is_empty() {
        out.push("totals:".to_string());
        out.extend(totals);
    }
    out
}

fn compare_counts(expected: Option<&Value>, actual: Option<&Value>) -> Vec<String> {
    let get = |v: Option<&Value>| -> BTreeMap<String, u64> {
        v.and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (exp, act) = (get(expected), get(actual));
    let mut keys: Vec<&String> = exp.keys().chain(act.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let (e, a) = (
                exp.get(k).copied().unwrap_or(0),
                act.get(k).copied().unwrap_or(0),
            );
            (e != a).then(|| format!("  {k}: {e} -> {a}"))
        })
        .collect()
}

/// Sort key of a failure key `file:line kind` that puts line 9 before line 10.
fn natural_order(key: &str) -> (String, u64, String) {
    let (at, kind) = key.split_once(' ').unwrap_or((key, ""));
    match at.rsplit_once(':') {
        Some((file, line)) if line.parse::<u64>().is_ok() => (
            file.to_string(),
            line.parse().unwrap_or(0),
            kind.to_string(),
        ),
        _ => (at.to_string(), 0, kind.to_string()),
    }
}

/// `a` minus `b`, both sorted, as multisets.
fn multiset_minus(a: &[String], b: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut j = 0;
    for x in a {
        while j < b.len() && b[j] < *x {
            j += 1;
        }
        if j < b.len() && b[j] == *x {
            j += 1;
        } else {
            out.push(x.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_script;

    fn suite(name: &str, script: &str) -> SuiteReport {
        let features = Features::wasm3();
        SuiteReport {
            name: name.to_string(),
            features,
            scripts: vec![run_script(&format!("{name}/a.wast"), script, &features)],
        }
    }

    #[test]
    fn counts_by_kind() {
        let s = suite(
            "s",
            "(assert_malformed (module quote \"(func (i32.const))\") \"x\")\n(invoke \"f\")\n(assert_return (invoke \"f\"))\n(invoke \"g\")",
        );
        let c = s.counts();
        assert_eq!(
            c.kind(crate::ASSERT_MALFORMED),
            KindCounts {
                passed: 1,
                failed: 0,
                not_run: 0,
                text_level: 1
            }
        );
        assert_eq!(c.kind("invoke").not_run, 2);
        let flat = c.flat();
        assert_eq!(flat["passed"], 1);
        assert_eq!(flat["not_run"], 3);
        assert_eq!(flat["not_run.invoke"], 2);
        assert_eq!(flat["not_run.assert_return"], 1);
        assert_eq!(flat["module.passed"], 0);
    }

    #[test]
    fn identical_expectations_have_no_diff() {
        let s = [suite("s", "(invoke \"f\")\n(module (func $f")];
        let e = expectations(&s);
        assert!(compare_expectations(&e, &e).is_empty());
        // The script does not parse: one failure, keyed by file, line and kind.
        assert_eq!(e["suites"]["s"]["failures"], json!(["s/a.wast:2 script"]));
    }

    #[test]
    fn diff_names_changed_counts_and_failures() {
        let before = expectations(&[suite("s", "(invoke \"f\")\n(module (func $f")]);
        let after = expectations(&[suite("s", "(invoke \"f\")")]);
        let diff = compare_expectations(&before, &after);
        assert!(diff.contains(&"suite s:".to_string()), "{diff:?}");
        assert!(diff.contains(&"  failed: 1 -> 0".to_string()), "{diff:?}");
        assert!(
            diff.contains(&"  no longer failing: s/a.wast:2 script".to_string()),
            "{diff:?}"
        );
        assert!(diff.contains(&"totals:".to_string()), "{diff:?}");
        let missing = compare_expectations(&before, &json!({"suites": {}}));
        assert_eq!(missing[0], "suite s: only in the expected");
    }

    #[test]
    fn failure_keys_sort_by_line_number() {
        let mut keys = [
            "f.wast:10 module",
            "f.wast:9 module instance",
            "e.wast:100 script",
        ];
        keys.sort_by_key(|k| natural_order(k));
        assert_eq!(
            keys,
            [
                "e.wast:100 script",
                "f.wast:9 module instance",
                "f.wast:10 module"
            ]
        );
    }

    #[test]
    fn multiset_difference_keeps_duplicates() {
        let a = ["x".to_string(), "x".to_string(), "y".to_string()];
        let b = ["x".to_string()];
        assert_eq!(multiset_minus(&a, &b), ["x".to_string(), "y".to_string()]);
        assert!(multiset_minus(&b, &a).is_empty());
    }

    #[test]
    fn table_has_a_row_per_suite_and_totals() {
        let s = [
            suite("one", "(invoke \"f\")"),
            suite("two", "(invoke \"g\")"),
        ];
        let table = render_table(&s);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("suite"));
        assert!(lines[1].starts_with("one "));
        assert!(lines[2].starts_with("two "));
        assert!(lines[4].starts_with("TOTAL"));
        assert!(table.contains("not run by kind: invoke 2"));
    }
}
