//! The component validator, differentially against wasmparser 0.263's (every feature on).
//!
//! * Every component of the Component Model reference tests (`assert_invalid` and
//!   `assert_malformed` ones included): our verdict equals wasmparser's, per file, with an
//!   explicit list of the known disagreements (each with its reason).
//! * Generated components: random WIT packages (wit-smith) — the package binaries
//!   themselves, and components built for each of their worlds by wit-component (a dummy
//!   core module with the world's metadata, encoded by `ComponentEncoder`); plus byte
//!   mutations and truncations of the suite's components. Verdicts agree and nothing panics.
//!   Optimised builds (`cargo test --release`) and `SPINDLE_COMPONENT_FULL=1` run the full
//!   count (about 677,000 cases: 12,880 generated components, 386,400 mutants of them,
//!   44,160 mutants and 233,753 truncations of suite components); debug builds a sample.
//!
//! The reference tests are read from `SPINDLE_COMPONENT_SUITE` or
//! `/work/shared/testsuites/component-model`; when absent, what is skipped is printed.

#![cfg(feature = "component")]

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use arbitrary::Unstructured;
use spindle_testkit::component_suite::suite_cases;
use spindle_validate::component::validate_component_bytes;
use wasmparser::{Parser, Validator, WasmFeatures};

/// wasmparser's verdict: valid as a component.
fn theirs(bytes: &[u8]) -> Result<(), String> {
    Validator::new_with_features(WasmFeatures::all())
        .validate_all(bytes)
        .map_err(|e| format!("{} (at offset 0x{:x})", e.message(), e.offset()))?;
    if Parser::is_component(bytes) {
        Ok(())
    } else {
        Err("a core module, not a component".into())
    }
}

/// Our verdict; a panic is reported as such.
fn ours(bytes: &[u8]) -> Result<Result<(), String>, String> {
    catch_unwind(AssertUnwindSafe(|| {
        validate_component_bytes(bytes)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }))
    .map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

/// The core proposals wasmparser knows and Spindle's core decoder and validator do not
/// (stack switching, shared-everything threads, legacy exceptions): a nested module using
/// one is a gap of the core validator, not of the component validator.
fn core_gap(bytes: &[u8]) -> bool {
    let reduced = WasmFeatures::all()
        - WasmFeatures::STACK_SWITCHING
        - WasmFeatures::SHARED_EVERYTHING_THREADS
        - WasmFeatures::LEGACY_EXCEPTIONS;
    Validator::new_with_features(reduced)
        .validate_all(bytes)
        .is_err()
}

/// A disagreement (or panic) on `bytes`, described. "We reject, wasmparser accepts" where
/// wasmparser rejects too without the core proposals Spindle lacks is reported as a core
/// gap (`CORE GAP:` prefix).
fn compare(bytes: &[u8]) -> Option<String> {
    let t = theirs(bytes);
    match ours(bytes) {
        Err(panic) => Some(format!("PANIC: {panic}")),
        Ok(o) => match (&o, &t) {
            (Ok(()), Err(e)) => Some(format!("we accept, wasmparser rejects: {e}")),
            (Err(e), Ok(())) if core_gap(bytes) => Some(format!(
                "CORE GAP: a nested module needs a core proposal Spindle lacks: {e}"
            )),
            (Err(e), Ok(())) => Some(format!("we reject, wasmparser accepts: {e}")),
            _ => None,
        },
    }
}

/// Known disagreements with the reference suite: (file, line, why).
const EXPECTED_DISAGREEMENTS: &[(&str, usize, &str)] = &[];

#[test]
fn reference_suite_agrees_with_wasmparser() {
    let Some(files) = suite_cases() else {
        return;
    };
    let (mut total, mut agree, mut valid) = (0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    let mut expected_hit = 0usize;
    for (name, cases) in files {
        let cases = match cases {
            Ok(c) => c,
            Err(e) => {
                println!("{name}: unreadable: {e}");
                continue;
            }
        };
        let (mut n, mut a, mut v) = (0, 0, 0);
        for case in &cases.cases {
            n += 1;
            if theirs(&case.bytes).is_ok() {
                v += 1;
            }
            match compare(&case.bytes) {
                None => a += 1,
                Some(why) => {
                    let expected = EXPECTED_DISAGREEMENTS
                        .iter()
                        .any(|(f, l, _)| *f == name && *l == case.line);
                    if expected {
                        expected_hit += 1;
                    } else {
                        failures.push(format!("{name}:{} ({}): {why}", case.line, case.directive));
                    }
                }
            }
        }
        println!(
            "{name}: {n} components, {v} valid per wasmparser, {a} agree, {} disagree; \
             {} not encodable by wast, {} forms not parsed",
            n - a,
            cases.not_encodable.len(),
            cases.unparsed_forms.len()
        );
        total += n;
        agree += a;
        valid += v;
    }
    println!(
        "TOTAL: {total} components, {valid} valid per wasmparser, {agree} agree, {} disagree \
         ({expected_hit} of them listed as expected)",
        total - agree
    );
    for f in &failures {
        println!("DISAGREEMENT {f}");
    }
    assert!(total > 0);
    assert!(
        failures.is_empty(),
        "{} unexpected disagreements",
        failures.len()
    );
    assert_eq!(
        expected_hit,
        EXPECTED_DISAGREEMENTS.len(),
        "an expected disagreement no longer happens: shorten the list"
    );
}

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    const INTERESTING: [u8; 10] = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xff, 0x40, 0x12, 0x63, 0x69];
    for _ in 0..1 + rng.below(3) {
        if bytes.len() <= 8 {
            bytes.push(rng.next() as u8);
            continue;
        }
        // Leave the preamble alone most of the time: the interesting part is after it.
        let at = 8 + rng.below(bytes.len() - 8);
        match rng.below(6) {
            0 => bytes[at] = rng.next() as u8,
            1 => bytes[at] ^= 1 << rng.below(8),
            2 | 3 => bytes[at] = INTERESTING[rng.below(INTERESTING.len())],
            4 => bytes.insert(at, rng.next() as u8),
            _ => {
                bytes.remove(at);
            }
        }
    }
}

/// Components built from random WIT packages: the package binary, and one component per
/// world (dummy core module, metadata embedded, `ComponentEncoder`).
fn wit_components(seed: u64, out: &mut Vec<Vec<u8>>) {
    let mut rng = Rng(seed | 1);
    let n = 256 + rng.below(4096);
    let data = rng.bytes(n);
    let mut u = Unstructured::new(&data);
    let config = wit_smith::Config::default();
    let Ok(package) = wit_smith::smith(&config, &mut u) else {
        return;
    };
    out.push(package.clone());
    let Ok(wit_component::DecodedWasm::WitPackage(resolve, pkg)) = wit_component::decode(&package)
    else {
        return;
    };
    for (_, world) in &resolve.packages[pkg].worlds {
        for mangling in [
            wit_parser::ManglingAndAbi::Standard32,
            wit_parser::ManglingAndAbi::Legacy(wit_parser::LiftLowerAbi::Sync),
        ] {
            let mut module = wit_component::dummy_module(&resolve, *world, mangling);
            if wit_component::embed_component_metadata(
                &mut module,
                &resolve,
                *world,
                wit_component::StringEncoding::UTF8,
                false,
            )
            .is_err()
            {
                continue;
            }
            let mut encoder = wit_component::ComponentEncoder::default();
            encoder.validate(false);
            if encoder.module(&module).is_err() {
                continue;
            }
            if let Ok(bytes) = encoder.encode() {
                out.push(bytes);
            }
        }
    }
}

/// The full run: in optimised builds (a few seconds), or when `SPINDLE_COMPONENT_FULL` is
/// set; debug builds run the sample.
fn full_run() -> bool {
    std::env::var_os("SPINDLE_COMPONENT_FULL").is_some() || !cfg!(debug_assertions)
}

#[test]
fn generated_components_agree_with_wasmparser() {
    // The full run: 3,000 WIT packages, each with its world components and 30 mutants of
    // each (well over 100,000 cases); the sample: 150 packages, 5 mutants each.
    let (packages, mutants) = if full_run() { (3_000, 30) } else { (150, 5) };
    let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut rng = Rng(0x5eed_c0de);
    for seed in 0..packages {
        let mut comps = Vec::new();
        wit_components(seed as u64 * 7919 + 1, &mut comps);
        for c in comps {
            let ok = theirs(&c).is_ok();
            let e = counts.entry("generated").or_default();
            e.0 += 1;
            e.1 += ok as usize;
            if let Some(why) = compare(&c) {
                failures.push(format!("generated (seed {seed}): {why}"));
            }
            for _ in 0..mutants {
                let mut m = c.clone();
                mutate(&mut rng, &mut m);
                let e = counts.entry("generated, mutated").or_default();
                e.0 += 1;
                e.1 += theirs(&m).is_ok() as usize;
                if let Some(why) = compare(&m) {
                    dump(&m);
                    failures.push(format!("mutant of generated (seed {seed}): {why}"));
                }
            }
        }
    }
    report(&counts, &failures);
}

#[test]
fn mutations_and_truncations_of_suite_components_agree() {
    let Some(files) = suite_cases() else {
        return;
    };
    let comps: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .filter_map(|(n, c)| c.ok().map(|c| (n, c)))
        .flat_map(|(n, c)| {
            c.cases
                .into_iter()
                .map(move |case| (format!("{n}:{}", case.line), case.bytes))
        })
        .collect();
    let mutants = if full_run() { 60 } else { 8 };
    let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut rng = Rng(0xfeed_beef);
    for (at, bytes) in &comps {
        for _ in 0..mutants {
            let mut m = bytes.clone();
            mutate(&mut rng, &mut m);
            let e = counts.entry("suite, mutated").or_default();
            e.0 += 1;
            e.1 += theirs(&m).is_ok() as usize;
            if let Some(why) = compare(&m) {
                failures.push(format!("mutant of {at}: {why}"));
            }
        }
        let stride = if full_run() {
            1
        } else {
            (bytes.len() / 6).max(1)
        };
        let mut len = 8;
        while len < bytes.len() {
            let e = counts.entry("suite, truncated").or_default();
            e.0 += 1;
            e.1 += theirs(&bytes[..len]).is_ok() as usize;
            if let Some(why) = compare(&bytes[..len]) {
                failures.push(format!("truncation of {at} to {len}: {why}"));
            }
            len += stride;
        }
    }
    report(&counts, &failures);
}

/// With `SPINDLE_COMPONENT_DUMP=dir`, writes a disagreeing input there.
fn dump(bytes: &[u8]) {
    if let Some(dir) = std::env::var_os("SPINDLE_COMPONENT_DUMP") {
        let path = std::path::Path::new(&dir).join(format!("case-{:016x}.wasm", {
            let mut h = 0xcbf2_9ce4_8422_2325u64;
            for b in bytes {
                h = (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
            }
            h
        }));
        let _ = std::fs::write(path, bytes);
    }
}

fn report(counts: &BTreeMap<&str, (usize, usize)>, failures: &[String]) {
    let total: usize = counts.values().map(|c| c.0).sum();
    for (k, (n, v)) in counts {
        println!("{k}: {n} cases, {v} valid per wasmparser");
    }
    let (gaps, real): (Vec<&String>, Vec<&String>) =
        failures.iter().partition(|f| f.contains("CORE GAP:"));
    println!(
        "TOTAL: {total} cases, {} disagreements, {} core-proposal gaps (not counted)",
        real.len(),
        gaps.len()
    );
    for f in gaps.iter().take(10) {
        println!("CORE GAP {f}");
    }
    for f in real.iter().take(60) {
        println!("DISAGREEMENT {f}");
    }
    assert!(real.is_empty(), "{} disagreements", real.len());
}

/// Writes every suite component and a few hundred generated ones to
/// `SPINDLE_DUMP_COMPONENT_CORPUS` (a seed corpus for the `component_validate` fuzz target).
#[test]
#[ignore]
fn dump_corpus() {
    let Some(dir) = std::env::var_os("SPINDLE_DUMP_COMPONENT_CORPUS") else {
        println!("SPINDLE_DUMP_COMPONENT_CORPUS is not set: nothing written");
        return;
    };
    std::fs::create_dir_all(&dir).unwrap();
    let mut all = Vec::new();
    if let Some(files) = suite_cases() {
        for (_, cases) in files {
            if let Ok(cases) = cases {
                all.extend(cases.cases.into_iter().map(|c| c.bytes));
            }
        }
    }
    for seed in 0..200 {
        wit_components(seed * 7919 + 1, &mut all);
    }
    for (i, bytes) in all.iter().enumerate() {
        std::fs::write(
            std::path::Path::new(&dir).join(format!("seed-{i:05}.wasm")),
            bytes,
        )
        .unwrap();
    }
    println!("{} inputs written", all.len());
}
