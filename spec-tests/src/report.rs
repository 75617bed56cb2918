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
    /// The first `limit` directives whose outcome `pick` selects, each as `label:line kind
    /// outcome`: what a test's assertion message shows.
    pub fn directives_where(&self, limit: usize, pick: impl Fn(&Outcome) -> bool) -> Vec<String> {
        self.scripts
            .iter()
            .flat_map(|s| s.directives.iter().map(move |d| (s, d)))
            .filter(|(_, d)| pick(&d.outcome))
            .take(limit)
            .map(|(s, d)| format!("{}:{} {} {:?}", s.label, d.line, d.kind, d.outcome))
            .collect()
    }

    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for directive in self.scripts.iter().flat_map(|s| &s.directives) {
            counts.add(directive);
        }
        counts
    }

    /// How many directives each missing translator feature kept from running.
    pub fn unsupported(&self) -> BTreeMap<String, u64> {
        let mut m = BTreeMap::new();
        for directive in self.scripts.iter().flat_map(|s| &s.directives) {
            if let Outcome::Unsupported(what) = &directive.outcome {
                *m.entry(what.clone()).or_default() += 1;
            }
        }
        m
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
    /// Includes `wrong_message`.
    pub failed: u64,
    pub not_run: u64,
    /// Passed because `wast` rejected the text before it reached us.
    pub text_level: u64,
    /// Failed: trapped or failed to link as expected, with another message.
    pub wrong_message: u64,
    /// Not run: the translator does not support the module yet.
    pub unsupported: u64,
}

impl KindCounts {
    fn merge(&mut self, o: &KindCounts) {
        self.passed += o.passed;
        self.failed += o.failed;
        self.not_run += o.not_run;
        self.text_level += o.text_level;
        self.wrong_message += o.wrong_message;
        self.unsupported += o.unsupported;
    }
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
            Outcome::WrongMessage(_) => {
                k.failed += 1;
                k.wrong_message += 1;
            }
            Outcome::NotRun => k.not_run += 1,
            Outcome::Unsupported(_) => k.unsupported += 1,
        }
        if let Some(diff) = &d.differential {
            self.disagreements += u64::from(!diff.agree());
            self.wasmparser_vs_spec += u64::from(!diff.wasmparser_matches_spec());
        }
    }

    pub fn merge(&mut self, other: &Counts) {
        for (kind, c) in &other.by_kind {
            self.by_kind.entry(kind).or_default().merge(c);
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
            t.merge(c);
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
        m.insert("unsupported".to_string(), total.unsupported);
        m.insert("wrong_message".to_string(), total.wrong_message);
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
                for (what, n) in [("passed", c.passed), ("failed", c.failed)] {
                    if n > 0 {
                        m.insert(format!("{kind}.{what}"), n);
                    }
                }
                if c.wrong_message > 0 {
                    m.insert(format!("{kind}.wrong_message"), c.wrong_message);
                }
                if c.not_run > 0 {
                    m.insert(format!("not_run.{kind}"), c.not_run);
                }
                if c.unsupported > 0 {
                    m.insert(format!("unsupported.{kind}"), c.unsupported);
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

/// The execution kinds that share the table's "other exec" column.
const OTHER_EXEC: [&str; 5] = [
    crate::ASSERT_UNINSTANTIABLE,
    crate::ASSERT_UNLINKABLE,
    crate::ASSERT_EXHAUSTION,
    crate::INVOKE,
    crate::REGISTER,
];

/// One row per suite plus a totals row, then the not-run and unsupported directives.
pub fn render_table(suites: &[SuiteReport]) -> String {
    const COLUMNS: usize = 15;
    let header = [
        "suite",
        "features",
        "module",
        "assert_malformed",
        "assert_invalid",
        "instantiate",
        "assert_return",
        "assert_trap",
        "other exec",
        "unsupp",
        "not run",
        "passed",
        "failed",
        "wp≠us",
        "wp≠spec",
    ];
    let mut rows: Vec<[String; COLUMNS]> = Vec::new();
    let row = |name: &str, features: String, c: &Counts| {
        let cell = |k: KindCounts| {
            let mut cell = format!("{}/{}", k.passed, k.failed);
            if k.text_level > 0 {
                cell = format!("{}({} text)/{}", k.passed, k.text_level, k.failed);
            }
            if k.wrong_message > 0 {
                cell.push_str(&format!("({} msg)", k.wrong_message));
            }
            cell
        };
        let pf = |kind: &str| cell(c.kind(kind));
        let mut other = KindCounts::default();
        for kind in OTHER_EXEC {
            other.merge(&c.kind(kind));
        }
        let t = c.total();
        [
            name.to_string(),
            features,
            pf(crate::MODULE),
            pf(crate::ASSERT_MALFORMED),
            pf(crate::ASSERT_INVALID),
            pf(crate::INSTANTIATE),
            pf(crate::ASSERT_RETURN),
            pf(crate::ASSERT_TRAP),
            cell(other),
            t.unsupported.to_string(),
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
    let mut unsupported: BTreeMap<String, u64> = BTreeMap::new();
    for s in suites {
        for (what, n) in s.unsupported() {
            *unsupported.entry(what).or_default() += n;
        }
    }
    if !unsupported.is_empty() {
        let mut by_count: Vec<(String, u64)> = unsupported.into_iter().collect();
        by_count.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let list: Vec<String> = by_count.iter().map(|(w, n)| format!("{w} {n}")).collect();
        let _ = writeln!(
            out,
            "unsupported by the translator, by what it lacks: {}",
            list.join(", ")
        );
    }
    out.push_str(
        "cells are passed/failed; (N text): rejected by the wast text parser before reaching \
         us; (N msg): failed with another trap or link message than the script's (counted in \
         failed); other exec: assert_uninstantiable, assert_unlinkable, assert_exhaustion, \
         invoke, register; unsupp: not run, the translator does not support the module yet; \
         wp≠us: wasmparser disagrees with us; wp≠spec: wasmparser disagrees with the script\n",
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
        Outcome::Failed(why) | Outcome::WrongMessage(why) => why,
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
                "unsupported": s.unsupported(),
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
            "(assert_malformed (module quote \"(func (i32.const))\") \"x\")\n\
             (module (func (export \"f\")) (func (export \"t\") unreachable))\n\
             (invoke \"f\")\n\
             (assert_return (invoke \"f\"))\n\
             (invoke \"g\")\n\
             (assert_trap (invoke \"t\") \"integer overflow\")\n\
             (assert_suspension (invoke \"f\") \"s\")",
        );
        let c = s.counts();
        assert_eq!(
            c.kind(crate::ASSERT_MALFORMED),
            KindCounts {
                passed: 1,
                text_level: 1,
                ..KindCounts::default()
            }
        );
        assert_eq!(
            c.kind(crate::INVOKE),
            KindCounts {
                passed: 1,
                failed: 1,
                ..KindCounts::default()
            }
        );
        assert_eq!(
            c.kind(crate::ASSERT_TRAP),
            KindCounts {
                failed: 1,
                wrong_message: 1,
                ..KindCounts::default()
            }
        );
        let flat = c.flat();
        assert_eq!(flat["passed"], 5);
        assert_eq!(flat["failed"], 2);
        assert_eq!(flat["wrong_message"], 1);
        assert_eq!(flat["not_run"], 1);
        assert_eq!(flat["unsupported"], 0);
        assert_eq!(flat["not_run.assert_suspension"], 1);
        assert_eq!(flat["invoke.passed"], 1);
        assert_eq!(flat["invoke.failed"], 1);
        assert_eq!(flat["assert_trap.wrong_message"], 1);
        assert_eq!(flat["instantiate.passed"], 1);
        assert_eq!(flat["module.passed"], 1);
        assert_eq!(flat["assert_invalid.passed"], 0);
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
        let before = expectations(&[suite(
            "s",
            "(assert_suspension (invoke \"f\") \"s\")\n(module (func $f",
        )]);
        let after = expectations(&[suite("s", "(assert_suspension (invoke \"f\") \"s\")")]);
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
            suite("one", "(assert_suspension (invoke \"f\") \"s\")"),
            suite("two", "(assert_suspension (invoke \"g\") \"s\")"),
        ];
        let table = render_table(&s);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("suite"));
        assert!(lines[1].starts_with("one "));
        assert!(lines[2].starts_with("two "));
        assert!(lines[4].starts_with("TOTAL"));
        assert!(table.contains("not run by kind: assert_suspension 2"));
    }
}
