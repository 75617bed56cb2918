//! The component decoder, differentially against wasmparser 0.263.
//!
//! * Every component of the Component Model reference tests (`.wast` files, encoded with
//!   `wast`): if wasmparser's validator (all features) accepts it, we decode it; whatever we
//!   decode, wasmparser's parser (every item of every component section) accepts.
//! * What we decode has wasmparser's structure: the same sections with the same ends, the
//!   same item offsets, and the same key fields (names, indices, counts).
//! * Truncations of the valid ones fail exactly where the prefix ends inside a section;
//!   random mutations never panic and agree in the "validator accepts ⇒ we decode" direction.
//! * Hand-written binaries with exact errors.
//!
//! The reference tests are read from `SPINDLE_COMPONENT_SUITE` or
//! `/work/shared/testsuites/component-model`; when absent, the suite-driven tests print what
//! they skipped and pass.

#![cfg(feature = "component")]

use spindle_decode::component::{
    read_preamble, Alias, CanonicalFunction, CanonicalOption, Component, ComponentType,
    ComponentValType, DefinedType, Encoding, PrimitiveValType, SectionContents, Sort,
    TypeDeclaration, TypeRef,
};
use spindle_decode::{BinaryReader, DecodeError};
use spindle_testkit::component_suite::suite_cases;
use std::path::Path;
use wasmparser::{BinaryReaderError, FromReader, Parser, Payload, SectionLimited, Validator};
use wast::parser::{self, ParseBuffer};
use wast::Wat;

fn drain<'a, T: FromReader<'a>>(r: SectionLimited<'a, T>) -> Result<(), BinaryReaderError> {
    for item in r {
        item?;
    }
    Ok(())
}

/// wasmparser's parser over everything: every payload, nested ones included, and every item
/// of every component section (core sections are left to its validator). An unknown section
/// counts as malformed (its validator rejects them).
fn wasmparser_parse(bytes: &[u8]) -> Result<(), String> {
    let fail = |e: BinaryReaderError| format!("{} (at offset 0x{:x})", e.message(), e.offset());
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.map_err(fail)? {
            Payload::InstanceSection(r) => drain(r).map_err(fail)?,
            Payload::CoreTypeSection(r) => drain(r).map_err(fail)?,
            Payload::ComponentInstanceSection(r) => drain(r).map_err(fail)?,
            Payload::ComponentAliasSection(r) => drain(r).map_err(fail)?,
            Payload::ComponentTypeSection(r) => drain(r).map_err(fail)?,
            Payload::ComponentCanonicalSection(r) => drain(r).map_err(fail)?,
            Payload::ComponentImportSection(r) => drain(r).map_err(fail)?,
            Payload::ComponentExportSection(r) => drain(r).map_err(fail)?,
            Payload::UnknownSection { id, range, .. } => {
                return Err(format!(
                    "unknown section {id} (at offset 0x{:x})",
                    range.start
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether wasmparser's validator, with every feature, accepts the bytes as a component.
fn wasmparser_valid_component(bytes: &[u8]) -> Result<(), String> {
    Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(bytes)
        .map_err(|e| format!("{} (at offset 0x{:x})", e.message(), e.offset()))?;
    if Parser::is_component(bytes) {
        Ok(())
    } else {
        Err("a core module, not a component".to_string())
    }
}

fn is_core_module(bytes: &[u8]) -> bool {
    read_preamble(&mut BinaryReader::new(bytes, 0)).ok() == Some(Encoding::Module)
}

#[derive(Default, Clone, Copy)]
struct Counts {
    components: usize,
    decoded: usize,
    rejected: usize,
    wasmparser_valid: usize,
    agreements: usize,
    disagreements: usize,
    core_module_binaries: usize,
    not_encodable: usize,
    unparsed_forms: usize,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.components += o.components;
        self.decoded += o.decoded;
        self.rejected += o.rejected;
        self.wasmparser_valid += o.wasmparser_valid;
        self.agreements += o.agreements;
        self.disagreements += o.disagreements;
        self.core_module_binaries += o.core_module_binaries;
        self.not_encodable += o.not_encodable;
        self.unparsed_forms += o.unparsed_forms;
    }
}

/// Our decoder with the nested core modules decoded too (by `Module::parse`).
fn decode_deep(bytes: &[u8]) -> Result<(), DecodeError> {
    fn modules(c: &Component<'_>) -> Result<(), DecodeError> {
        for m in c.modules() {
            m.parse()?;
        }
        c.components().try_for_each(modules)
    }
    modules(&Component::parse(bytes)?)
}

/// One component's verdicts.
struct Verdict {
    /// `Component::parse` accepts it.
    decoded: bool,
    /// wasmparser's validator accepts it (as a component).
    valid: bool,
    /// "wasmparser validates, we reject", or "we decode (nested modules included),
    /// wasmparser's parser rejects".
    disagreement: Option<String>,
    /// wasmparser validates it, we decode it, but the core decoder rejects a nested module:
    /// a core decoder gap, reported apart.
    core_disagreement: Option<String>,
}

fn check_case(bytes: &[u8]) -> Verdict {
    let ours = Component::parse(bytes);
    let valid = wasmparser_valid_component(bytes);
    let mut verdict = Verdict {
        decoded: ours.is_ok(),
        valid: valid.is_ok(),
        disagreement: None,
        core_disagreement: None,
    };
    match (&ours, &valid) {
        (Err(e), Ok(())) => {
            verdict.disagreement = Some(format!(
                "wasmparser validates it, we reject it: {e} (byte 0x{:x})",
                e.offset()
            ))
        }
        (Ok(_), _) => match decode_deep(bytes) {
            Ok(()) => {
                verdict.disagreement = wasmparser_parse(bytes)
                    .err()
                    .map(|wp| format!("we decode it, wasmparser's parser rejects it: {wp}"))
            }
            Err(e) if valid.is_ok() => {
                verdict.core_disagreement = Some(format!(
                    "wasmparser validates it, the core decoder rejects a nested module: {e}"
                ))
            }
            Err(_) => {}
        },
        _ => {}
    }
    verdict
}

#[test]
fn reference_suite_agrees_with_wasmparser() {
    let Some(files) = suite_cases() else { return };
    let mut total = Counts::default();
    let mut failures = Vec::new();
    let mut unparsed = Vec::new();
    // `assert_malformed` components that we decode: the reference tests' line between
    // malformed and invalid is not wasmparser's everywhere (listed, not failures).
    let mut malformed_decoded = Vec::new();
    let mut core_failures = Vec::new();
    println!(
        "{:<58} {:>5} {:>7} {:>8} {:>6} {:>6} {:>6}",
        "file", "comps", "decoded", "rejected", "wp-ok", "agree", "DIS"
    );
    for (name, cases) in &files {
        let cases = match cases {
            Ok(c) => c,
            Err(e) => {
                let first = e.lines().next().unwrap_or("");
                println!("{name:<58} SKIPPED: wast 263 cannot parse the file: {first}");
                unparsed.push(name.clone());
                continue;
            }
        };
        let mut counts = Counts {
            not_encodable: cases.not_encodable.len(),
            unparsed_forms: cases.unparsed_forms.len(),
            ..Counts::default()
        };
        for case in &cases.cases {
            counts.components += 1;
            if is_core_module(&case.bytes) {
                counts.core_module_binaries += 1;
            }
            let Verdict {
                decoded,
                valid,
                disagreement,
                core_disagreement,
            } = check_case(&case.bytes);
            if let Some(d) = core_disagreement {
                core_failures.push(format!("{name}:{} ({}): {d}", case.line, case.directive));
            }
            if decoded && case.directive == "assert_malformed" {
                malformed_decoded.push(format!(
                    "{name}:{} (wasmparser's validator: {}; with nested modules decoded: {})",
                    case.line,
                    wasmparser_valid_component(&case.bytes).unwrap_err(),
                    match decode_deep(&case.bytes) {
                        Ok(()) => "decodes".to_string(),
                        Err(e) => format!("rejected, {e}"),
                    }
                ));
            }
            counts.decoded += decoded as usize;
            counts.rejected += !decoded as usize;
            counts.wasmparser_valid += valid as usize;
            match disagreement {
                None => counts.agreements += 1,
                Some(d) => {
                    counts.disagreements += 1;
                    failures.push(format!("{name}:{} ({}): {d}", case.line, case.directive));
                }
            }
        }
        println!(
            "{name:<58} {:>5} {:>7} {:>8} {:>6} {:>6} {:>6}{}{}",
            counts.components,
            counts.decoded,
            counts.rejected,
            counts.wasmparser_valid,
            counts.agreements,
            counts.disagreements,
            if counts.not_encodable > 0 {
                format!("  ({} not encodable by wast)", counts.not_encodable)
            } else {
                String::new()
            },
            if counts.unparsed_forms > 0 {
                format!(
                    "  ({} top-level forms wast 263 cannot parse, skipped: line {} {})",
                    counts.unparsed_forms, cases.unparsed_forms[0].0, cases.unparsed_forms[0].1
                )
            } else {
                String::new()
            }
        );
        for (line, why) in &cases.not_encodable {
            println!("    {name}:{line}: not encodable by wast: {why}");
        }
        total.add(&counts);
    }
    println!(
        "TOTAL: {} files ({} not parsable by wast 263), {} components: {} decoded, {} rejected; \
         wasmparser validates {}; {} agreements, {} disagreements; {} core-module binaries in \
         component position; {} components wast could not encode; {} top-level forms wast \
         could not parse",
        files.len(),
        unparsed.len(),
        total.components,
        total.decoded,
        total.rejected,
        total.wasmparser_valid,
        total.agreements,
        total.disagreements,
        total.core_module_binaries,
        total.not_encodable,
        total.unparsed_forms
    );
    for m in &malformed_decoded {
        println!("assert_malformed, decoded: {m}");
    }
    for f in &core_failures {
        println!("CORE DECODER DISAGREEMENT {f}");
    }
    for f in &failures {
        println!("DISAGREEMENT {f}");
    }
    assert!(total.components > 0, "no component found in the suite");
    assert!(failures.is_empty(), "{} disagreements", failures.len());
    assert!(
        core_failures.is_empty(),
        "{} core decoder disagreements",
        core_failures.len()
    );
}

/// The components of the suite that wasmparser validates (and that we decode).
fn valid_components() -> Option<Vec<(String, Vec<u8>)>> {
    let files = suite_cases()?;
    let mut out = Vec::new();
    for (name, cases) in files {
        let Ok(cases) = cases else { continue };
        for case in cases.cases {
            if wasmparser_valid_component(&case.bytes).is_ok()
                && Component::parse(&case.bytes).is_ok()
            {
                out.push((format!("{name}:{}", case.line), case.bytes));
            }
        }
    }
    Some(out)
}

#[test]
fn truncations_fail_exactly_inside_sections() {
    let Some(components) = valid_components() else {
        return;
    };
    // Every truncation of every component up to this many in all; beyond it, a stride.
    const BUDGET: usize = 400_000;
    let total_len: usize = components.iter().map(|(_, b)| b.len()).sum();
    let stride = total_len.div_ceil(BUDGET).max(1);
    let (mut checked, mut ok_prefixes) = (0usize, 0usize);
    for (at, bytes) in &components {
        let component = Component::parse(bytes).unwrap();
        let mut boundaries: Vec<usize> = vec![8];
        boundaries.extend(component.sections.iter().map(|s| s.end));
        let mut len = 0;
        while len < bytes.len() {
            let prefix = &bytes[..len];
            let result = Component::parse(prefix);
            let well_formed = boundaries.binary_search(&len).is_ok();
            match (&result, well_formed) {
                (Ok(_), true) => ok_prefixes += 1,
                (Err(_), false) => {}
                (Ok(_), false) => panic!("{at}: a truncation to {len} bytes decodes"),
                (Err(e), true) => {
                    panic!("{at}: the prefix of {len} bytes ends at a section boundary: {e}")
                }
            }
            checked += 1;
            len += if len < 16 { 1 } else { stride };
        }
    }
    println!(
        "truncations: {checked} checked over {} components (stride {stride}); {ok_prefixes} \
         prefixes at section boundaries decoded, the others all failed",
        components.len()
    );
    assert!(checked > 0);
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
}

fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    const INTERESTING: [u8; 8] = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x40, 0x12, 0x63];
    for _ in 0..1 + rng.below(3) {
        if bytes.is_empty() {
            bytes.push(rng.next() as u8);
            continue;
        }
        let at = rng.below(bytes.len());
        match rng.below(5) {
            0 => bytes[at] = rng.next() as u8,
            1 => bytes[at] ^= 1 << rng.below(8),
            2 => bytes[at] = INTERESTING[rng.below(INTERESTING.len())],
            3 => bytes.insert(at, rng.next() as u8),
            _ => {
                bytes.remove(at);
            }
        }
    }
}

#[test]
fn mutations_never_panic_and_agree() {
    let Some(components) = valid_components() else {
        return;
    };
    assert!(!components.is_empty(), "no valid component in the suite");
    const MUTATIONS: usize = 50_000;
    let mut rng = Rng(0x5eed_c0de_2026_1204);
    let (mut decoded, mut rejected, mut wasmparser_valid) = (0usize, 0usize, 0usize);
    // Decoded (nested modules included) but rejected by wasmparser's parser.
    let mut lenient = 0usize;
    // Validated by wasmparser, decoded by us, but a nested module rejected by the core
    // decoder (`Module::parse`): the core decoder's gaps, not this decoder's; reported.
    let mut core_gaps = Vec::new();
    let mut failures = Vec::new();
    for i in 0..MUTATIONS {
        let (at, original) = &components[rng.below(components.len())];
        let mut bytes = original.clone();
        mutate(&mut rng, &mut bytes);
        let ours = std::panic::catch_unwind(|| Component::parse(&bytes).map(|_| ()));
        let ours = match ours {
            Ok(r) => r,
            Err(_) => {
                failures.push(format!("mutation {i} of {at}: the decoder panicked"));
                continue;
            }
        };
        let valid = wasmparser_valid_component(&bytes).is_ok();
        wasmparser_valid += valid as usize;
        match ours {
            Ok(()) => {
                decoded += 1;
                match decode_deep(&bytes) {
                    Ok(()) => lenient += wasmparser_parse(&bytes).is_err() as usize,
                    Err(e) if valid => core_gaps.push(format!("mutation {i} of {at}: {e}")),
                    Err(_) => {}
                }
            }
            Err(e) => {
                rejected += 1;
                if valid {
                    failures.push(format!(
                        "mutation {i} of {at}: wasmparser validates it, we reject it: {e}"
                    ));
                }
            }
        }
    }
    println!(
        "mutations: {MUTATIONS} (seed 0x5eedc0de20261204): {decoded} decoded, {rejected} \
         rejected; wasmparser validates {wasmparser_valid}; {} disagreements; {lenient} decoded \
         by us (nested modules included) but rejected by wasmparser's parser; {} validated by \
         wasmparser with a nested module the core decoder rejects",
        failures.len(),
        core_gaps.len()
    );
    for g in core_gaps.iter().take(5) {
        println!("CORE DECODER GAP {g}");
    }
    for f in failures.iter().take(20) {
        println!("DISAGREEMENT {f}");
    }
    assert!(failures.is_empty(), "{} disagreements", failures.len());
}

// Hand-written binaries.

const PREAMBLE: [u8; 8] = *b"\0asm\x0d\x00\x01\x00";

fn leb(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn section(id: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![id];
    leb(contents.len(), &mut out);
    out.extend_from_slice(contents);
    out
}

fn component(sections: &[Vec<u8>]) -> Vec<u8> {
    let mut out = PREAMBLE.to_vec();
    for s in sections {
        out.extend_from_slice(s);
    }
    out
}

fn error_of(bytes: &[u8]) -> DecodeError {
    match Component::parse(bytes) {
        Ok(c) => panic!("decoded: {c:?}"),
        Err(e) => e,
    }
}

#[test]
fn wrong_layer_or_version() {
    let e = error_of(b"\0asm\x0d\x00\x02\x00");
    assert_eq!(e.offset(), 4);
    assert_eq!(
        e.message(),
        "unknown binary version 0x000d and layer 0x0002"
    );

    let e = error_of(b"\0asm\x01\x00\x00\x00");
    assert_eq!(e.offset(), 0);
    assert_eq!(
        e.message(),
        "expected a component, found a core module (version 1, layer 0)"
    );

    // A component in a core module section: its preamble is at 8 + 2.
    let e = error_of(&component(&[section(1, &PREAMBLE)]));
    assert_eq!(e.offset(), 10);
    assert_eq!(
        e.message(),
        "expected a core module, found a component (version 0x0d, layer 1)"
    );

    // A core module in a component section.
    let e = error_of(&component(&[section(4, b"\0asm\x01\x00\x00\x00")]));
    assert_eq!(e.offset(), 10);
    assert_eq!(
        e.message(),
        "expected a component, found a core module (version 1, layer 0)"
    );

    let e = error_of(b"\0asm\x0d\x00\x01");
    assert!(e.is_eof(), "{e}");
    let e = error_of(b"\0ASM\x0d\x00\x01\x00");
    assert_eq!((e.offset(), e.message()), (0, "magic header not detected"));
}

#[test]
fn counts_beyond_the_bytes_left_or_the_limits() {
    // A type section claiming 5 types in 1 byte: the end of the section (8 + 2 + 2) is where
    // the input runs out.
    let e = error_of(&component(&[section(7, &[0x05, 0x73])]));
    assert!(e.is_eof(), "{e}");
    assert_eq!(e.offset(), 12);

    // 11 canonical options (the limit is 10); the count is at 8 + 2 + 4.
    let mut lower = vec![0x01, 0x01, 0x00, 0x00, 0x0b];
    lower.extend_from_slice(&[0x00; 11]);
    let e = error_of(&component(&[section(8, &lower)]));
    assert_eq!(e.offset(), 14);
    assert_eq!(
        e.message(),
        "canonical option count 11 exceeds the limit of 10"
    );

    // A section whose size goes past the end of the input.
    let e = error_of(&[PREAMBLE.as_slice(), &[0x07, 0x05, 0x00]].concat());
    assert_eq!(e.offset(), 9);
    assert_eq!(
        e.message(),
        "section size mismatch: section 7 of 5 bytes goes past the end (1 bytes left)"
    );

    // Bytes left over at the end of a section.
    let e = error_of(&component(&[section(7, &[0x01, 0x73, 0x73])]));
    assert_eq!(e.offset(), 12);
    assert_eq!(
        e.message(),
        "section size mismatch: 1 bytes left at the end of section 7"
    );
}

#[test]
fn unknown_opcodes_and_discriminants() {
    // Form 0x60 is not a defined type (the type is at 8 + 2 + 1).
    let e = error_of(&component(&[section(7, &[0x01, 0x60])]));
    assert_eq!(e.offset(), 11);
    assert_eq!(e.message(), "malformed component type: unknown form 0x60");

    // Canon opcode 0x07 (`resource.drop async` in Binary.md) is not in wasmparser 0.263.
    let e = error_of(&component(&[section(8, &[0x01, 0x07, 0x00])]));
    assert_eq!(e.offset(), 11);
    assert_eq!(
        e.message(),
        "malformed canonical function: unknown opcode 0x07"
    );

    // The retired `cancellable` flag of waitable-set.wait.
    let e = error_of(&component(&[section(8, &[0x01, 0x20, 0x01, 0x00])]));
    assert_eq!(e.offset(), 12);

    // A value section (id 12) and an unknown section id.
    let e = error_of(&component(&[section(12, &[0x00])]));
    assert_eq!(
        (e.offset(), e.message()),
        (8, "value sections (id 12) are not supported")
    );
    let e = error_of(&component(&[section(13, &[])]));
    assert_eq!((e.offset(), e.message()), (8, "malformed section id 13"));

    // Two start sections.
    let start = section(9, &[0x00, 0x00, 0x00]);
    let e = error_of(&component(&[start.clone(), start]));
    assert_eq!(e.offset(), 13);

    // Invalid UTF-8 in a custom section's name.
    let e = error_of(&component(&[section(0, &[0x02, 0xff, 0xfe])]));
    assert_eq!((e.offset(), e.message()), (10, "malformed UTF-8 encoding"));
}

/// `levels` components nested in one another, and the offset of each one's preamble.
fn nested_components(levels: usize) -> (Vec<u8>, Vec<usize>) {
    let mut inner = PREAMBLE.to_vec();
    for _ in 0..levels {
        inner = component(&[section(4, &inner)]);
    }
    let mut starts = vec![0];
    let mut r = 0;
    for _ in 0..levels {
        // Skip the preamble, the id and the size of the one section.
        let mut at = r + 9;
        while inner[at] & 0x80 != 0 {
            at += 1;
        }
        r = at + 1;
        starts.push(r);
    }
    (inner, starts)
}

#[test]
fn nesting_depth_is_bounded() {
    let limit = spindle_decode::limits::MAX_COMPONENT_NESTING;
    let (ok, _) = nested_components(limit);
    let mut depth = 0;
    let mut c = &Component::parse(&ok).unwrap();
    while let Some(inner) = c.components().next() {
        depth += 1;
        c = inner;
    }
    assert_eq!(depth, limit);

    let (deep, starts) = nested_components(limit + 1);
    let e = error_of(&deep);
    // The section holding the component one level too deep, in the component at the limit.
    assert_eq!(e.offset(), starts[limit] + 8);
    assert_eq!(
        e.message(),
        format!("components nested too deeply (the limit is {limit})")
    );

    // Instance types nested in instance types: 0x42, one declaration, 0x01 (a type), ...
    let type_limit = spindle_decode::limits::MAX_COMPONENT_TYPE_NESTING;
    let mut ty = vec![0x42, 0x00];
    for _ in 0..type_limit {
        ty = [&[0x42, 0x01, 0x01][..], &ty].concat();
    }
    let e = error_of(&component(&[section(7, &[&[0x01][..], &ty].concat())]));
    assert_eq!(
        e.message(),
        format!("component type nesting is too deep (the limit is {type_limit})")
    );
    // The count of the innermost instance type: after the section's header (a 2-byte
    // size), its count, 100 levels of 3 bytes, and the innermost type's form byte.
    assert_eq!(e.offset(), 8 + 3 + 1 + 3 * type_limit + 1);
    ty.drain(..3);
    assert!(Component::parse(&component(&[section(7, &[&[0x01][..], &ty].concat())])).is_ok());
}

#[test]
fn decodes_a_text_component_into_its_sections() {
    let wat = r#"(component
        (core module $m (func (export "f") (param i32) (result i32) local.get 0))
        (core instance $i (instantiate $m))
        (type $t (record (field "a" u32) (field "b" (list string))))
        (import "host" (instance $h (export "g" (func (param "x" u32)))))
        (alias export $h "g" (func $g))
        (func $f (param "x" u32) (result u32) (canon lift (core func $i "f")))
        (export "run" (func $f))
    )"#;
    let buf = ParseBuffer::new(wat).unwrap();
    let mut w = parser::parse::<Wat>(&buf).unwrap();
    let bytes = w.encode().unwrap();
    let c = Component::parse(&bytes).unwrap();
    let kinds: Vec<&str> = c
        .sections
        .iter()
        .map(|s| match &s.contents {
            SectionContents::Custom { .. } => "custom",
            SectionContents::CoreModule(_) => "core module",
            SectionContents::CoreInstances(_) => "core instance",
            SectionContents::CoreTypes(_) => "core type",
            SectionContents::Component(_) => "component",
            SectionContents::Instances(_) => "instance",
            SectionContents::Aliases(_) => "alias",
            SectionContents::Types(_) => "type",
            SectionContents::Canonicals(_) => "canon",
            SectionContents::Start(_) => "start",
            SectionContents::Imports(_) => "import",
            SectionContents::Exports(_) => "export",
        })
        .collect();
    assert_eq!(kinds[..3], ["core module", "core instance", "type"]);
    assert!(kinds.contains(&"import") && kinds.contains(&"canon") && kinds.contains(&"export"));

    let module = c.modules().next().unwrap();
    assert_eq!(module.parse().unwrap().exports[0].name, "f");
    assert_eq!(&bytes[module.offset..module.offset + 4], b"\0asm");

    for s in &c.sections {
        match &s.contents {
            SectionContents::Types(types) if types.len() == 1 => {
                if let ComponentType::Defined(DefinedType::Record(fields)) = &types[0].item {
                    assert_eq!(
                        fields[0],
                        ("a", ComponentValType::Primitive(PrimitiveValType::U32))
                    );
                    assert_eq!(fields[1].0, "b");
                }
            }
            SectionContents::Imports(imports) => {
                assert_eq!(imports[0].item.name.name, "host");
                assert!(matches!(imports[0].item.ty, TypeRef::Instance(_)));
            }
            SectionContents::Aliases(aliases) => {
                // `(alias export $h "g" ..)`, and the core export `(core func $i "f")`.
                assert!(aliases.iter().all(|a| matches!(
                    a.item,
                    Alias::InstanceExport {
                        sort: Sort::Func,
                        name: "g",
                        ..
                    } | Alias::CoreInstanceExport { name: "f", .. }
                )));
            }
            SectionContents::Canonicals(funcs) => {
                assert!(funcs.iter().any(|f| matches!(
                    &f.item,
                    CanonicalFunction::Lift { options, .. } if options.is_empty()
                        || options.iter().all(|o| *o != CanonicalOption::Async)
                )));
            }
            SectionContents::Exports(exports) => {
                assert_eq!(exports[0].item.name.name, "run");
                assert_eq!(exports[0].item.sort, Sort::Func);
                // Every item's offset lies inside its section.
                assert!(s.offset < exports[0].offset && exports[0].offset < s.end);
            }
            _ => {}
        }
    }
    // An instance type's declarations decode too.
    let has_instance_type = c.sections.iter().any(|s| match &s.contents {
        SectionContents::Types(types) => types.iter().any(|t| {
            matches!(&t.item, ComponentType::Instance(decls)
                if decls.iter().any(|d| matches!(d.item, TypeDeclaration::Export { .. })))
        }),
        _ => false,
    });
    assert!(has_instance_type);
}

#[test]
fn nested_module_errors_carry_absolute_offsets() {
    // A core module with a bad section id (0x7f) right after its preamble.
    let module = [b"\0asm\x01\x00\x00\x00".as_slice(), &[0x7f, 0x00]].concat();
    let bytes = component(&[section(1, &module)]);
    let c = Component::parse(&bytes).unwrap();
    let e = c.modules().next().unwrap().parse().unwrap_err();
    assert_eq!(e.offset(), 10 + 8);
}

// Structure: what we decode is what wasmparser reads, section by section and item by item.

/// One line per section (with the end offset and every item's offset) and per item's key
/// fields, nested components inline, nested modules as one line.
fn our_outline(c: &Component<'_>, out: &mut Vec<String>) {
    fn offsets<T>(items: &[spindle_decode::component::Located<T>]) -> String {
        format!("{:?}", items.iter().map(|i| i.offset).collect::<Vec<_>>())
    }
    fn sort(s: Sort) -> &'static str {
        match s {
            Sort::CoreModule => "module",
            s => s.name(),
        }
    }
    for s in &c.sections {
        let end = s.end;
        match &s.contents {
            SectionContents::Custom { name, data } => {
                out.push(format!("custom {name} {} end {end}", data.len()))
            }
            SectionContents::CoreModule(m) => {
                out.push(format!("module {} end {end}", m.bytes.len()))
            }
            SectionContents::Component(inner) => {
                out.push(format!("component end {end}"));
                our_outline(inner, out);
            }
            SectionContents::CoreInstances(items) => {
                out.push(format!("core instances {} end {end}", offsets(items)))
            }
            SectionContents::CoreTypes(items) => {
                out.push(format!("core types {} end {end}", offsets(items)));
                for t in items {
                    out.push(match &t.item {
                        spindle_decode::component::CoreType::Rec(g) => {
                            format!("  rec {}", g.types.len())
                        }
                        spindle_decode::component::CoreType::Module(d) => {
                            format!("  module type {}", d.len())
                        }
                    });
                }
            }
            SectionContents::Instances(items) => {
                out.push(format!("instances {} end {end}", offsets(items)))
            }
            SectionContents::Aliases(items) => {
                out.push(format!("aliases {} end {end}", offsets(items)));
                for a in items {
                    out.push(match a.item {
                        Alias::InstanceExport {
                            sort: s,
                            instance,
                            name,
                        } => format!("  export {} {instance} {name}", sort(s)),
                        Alias::CoreInstanceExport { instance, name, .. } => {
                            format!("  core export {instance} {name}")
                        }
                        Alias::Outer { count, index, .. } => format!("  outer {count} {index}"),
                    });
                }
            }
            SectionContents::Types(items) => {
                out.push(format!("types {} end {end}", offsets(items)));
                for t in items {
                    out.push(match &t.item {
                        ComponentType::Component(d) => format!("  component {}", d.len()),
                        ComponentType::Instance(d) => format!("  instance {}", d.len()),
                        t => format!("  {t:?}"),
                    });
                }
            }
            SectionContents::Canonicals(items) => {
                out.push(format!("canon {} end {end}", offsets(items)));
                for f in items {
                    out.push(format!("  {:?}", f.item));
                }
            }
            SectionContents::Start(start) => out.push(format!(
                "start {} {} {} end {end}",
                start.item.func,
                start.item.args.len(),
                start.item.results
            )),
            SectionContents::Imports(items) => {
                out.push(format!("imports {} end {end}", offsets(items)));
                for i in items {
                    out.push(format!("  {}", i.item.name.name));
                }
            }
            SectionContents::Exports(items) => {
                out.push(format!("exports {} end {end}", offsets(items)));
                for e in items {
                    out.push(format!(
                        "  {} {} {} {}",
                        e.item.name.name,
                        sort(e.item.sort),
                        e.item.index,
                        e.item.ty.is_some()
                    ));
                }
            }
        }
    }
    out.push("end".to_string());
}

/// wasmparser's `Debug` of canonical functions and component types in our names (the
/// variants and most fields are named alike).
fn normalise(debug: String) -> String {
    [
        ("func_ty_index", "func_ty"),
        ("core_func_index", "core_func"),
        ("func_index", "func"),
        ("type_index", "ty"),
        ("table_index", "table"),
        ("async_", "is_async"),
        ("CompactUTF16", "CompactUtf16"),
        ("UTF16", "Utf16"),
        ("UTF8", "Utf8"),
        ("ComponentFuncType", "FuncType"),
        ("ComponentDefinedType", "DefinedType"),
        ("rep:", "representation:"),
        ("dtor:", "destructor:"),
    ]
    .iter()
    .fold(debug, |s, (from, to)| s.replace(from, to))
}

/// The same outline from wasmparser's payloads.
fn wasmparser_outline(bytes: &[u8]) -> Vec<String> {
    use wasmparser::{ComponentAlias, ComponentType as WpType, CoreType as WpCore};
    fn items<'a, T: FromReader<'a>>(r: SectionLimited<'a, T>) -> (String, Vec<T>, u64) {
        let end = r.range().end;
        let (offsets, items): (Vec<usize>, Vec<T>) = r
            .into_iter_with_offsets()
            .map(|i| {
                let (o, t) = i.unwrap();
                (o as usize, t)
            })
            .unzip();
        (format!("{offsets:?}"), items, end)
    }
    let mut out = Vec::new();
    let mut in_module = false;
    let mut first = true;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.unwrap();
        if in_module {
            in_module = !matches!(payload, Payload::End(_));
            continue;
        }
        match payload {
            Payload::Version { .. } if first => first = false,
            Payload::Version { .. } => {}
            Payload::End(_) => out.push("end".to_string()),
            Payload::CustomSection(r) => out.push(format!(
                "custom {} {} end {}",
                r.name(),
                r.data().len(),
                r.range().end
            )),
            Payload::ModuleSection {
                unchecked_range, ..
            } => {
                in_module = true;
                out.push(format!(
                    "module {} end {}",
                    unchecked_range.end - unchecked_range.start,
                    unchecked_range.end
                ));
            }
            Payload::ComponentSection {
                unchecked_range, ..
            } => out.push(format!("component end {}", unchecked_range.end)),
            Payload::InstanceSection(r) => {
                let (o, _, end) = items(r);
                out.push(format!("core instances {o} end {end}"));
            }
            Payload::CoreTypeSection(r) => {
                let (o, types, end) = items(r);
                out.push(format!("core types {o} end {end}"));
                for t in types {
                    out.push(match t {
                        WpCore::Rec(g) => format!("  rec {}", g.types().len()),
                        WpCore::Module(d) => format!("  module type {}", d.len()),
                    });
                }
            }
            Payload::ComponentInstanceSection(r) => {
                let (o, _, end) = items(r);
                out.push(format!("instances {o} end {end}"));
            }
            Payload::ComponentAliasSection(r) => {
                let (o, aliases, end) = items(r);
                out.push(format!("aliases {o} end {end}"));
                for a in aliases {
                    out.push(match a {
                        ComponentAlias::InstanceExport {
                            kind,
                            instance_index,
                            name,
                        } => format!("  export {} {instance_index} {name}", kind.desc()),
                        ComponentAlias::CoreInstanceExport {
                            instance_index,
                            name,
                            ..
                        } => format!("  core export {instance_index} {name}"),
                        ComponentAlias::Outer { count, index, .. } => {
                            format!("  outer {count} {index}")
                        }
                    });
                }
            }
            Payload::ComponentTypeSection(r) => {
                let (o, types, end) = items(r);
                out.push(format!("types {o} end {end}"));
                for t in types {
                    out.push(match t {
                        WpType::Component(d) => format!("  component {}", d.len()),
                        WpType::Instance(d) => format!("  instance {}", d.len()),
                        t => normalise(format!("  {t:?}")),
                    });
                }
            }
            Payload::ComponentCanonicalSection(r) => {
                let (o, funcs, end) = items(r);
                out.push(format!("canon {o} end {end}"));
                for f in funcs {
                    out.push(normalise(format!("  {f:?}")));
                }
            }
            Payload::ComponentStartSection { start, range } => out.push(format!(
                "start {} {} {} end {}",
                start.func_index,
                start.arguments.len(),
                start.results,
                range.end
            )),
            Payload::ComponentImportSection(r) => {
                let (o, imports, end) = items(r);
                out.push(format!("imports {o} end {end}"));
                for i in imports {
                    out.push(format!("  {}", i.name.name));
                }
            }
            Payload::ComponentExportSection(r) => {
                let (o, exports, end) = items(r);
                out.push(format!("exports {o} end {end}"));
                for e in exports {
                    out.push(format!(
                        "  {} {} {} {}",
                        e.name.name,
                        e.kind.desc(),
                        e.index,
                        e.ty.is_some()
                    ));
                }
            }
            other => panic!("unexpected payload {other:?}"),
        }
    }
    out
}

#[test]
fn decoded_structure_matches_wasmparser() {
    let Some(files) = suite_cases() else { return };
    let (mut compared, mut lines, mut item_lines) = (0, 0, 0);
    for (name, cases) in files {
        let Ok(cases) = cases else { continue };
        for case in cases.cases {
            let Ok(c) = Component::parse(&case.bytes) else {
                continue;
            };
            if wasmparser_parse(&case.bytes).is_err() {
                continue;
            }
            let mut ours = Vec::new();
            our_outline(&c, &mut ours);
            let theirs = wasmparser_outline(&case.bytes);
            assert_eq!(ours.len(), theirs.len(), "{name}:{}", case.line);
            for (o, t) in ours.iter().zip(&theirs) {
                assert_eq!(o, t, "{name}:{}", case.line);
            }
            compared += 1;
            lines += ours.len();
            item_lines += ours.iter().filter(|l| l.starts_with("  ")).count();
        }
    }
    println!(
        "structure: {compared} components outlined identically by both decoders ({lines} \
         lines, {item_lines} of them per item: names, indices, and the full canonical functions \
         and defined, function and resource types)"
    );
    assert!(compared > 0);
}

/// Writes the suite's valid components to `$SPINDLE_DUMP_COMPONENT_CORPUS` (a seed corpus for
/// the `component_decode` fuzz target): `SPINDLE_DUMP_COMPONENT_CORPUS=fuzz/corpus/component_decode
/// cargo test -p spindle-decode --test component_decode -- --ignored dump_corpus`.
#[test]
#[ignore]
fn dump_corpus() {
    let dir = std::env::var_os("SPINDLE_DUMP_COMPONENT_CORPUS")
        .expect("set SPINDLE_DUMP_COMPONENT_CORPUS to a directory");
    let Some(components) = valid_components() else {
        return;
    };
    std::fs::create_dir_all(&dir).unwrap();
    for (i, (_, bytes)) in components.iter().enumerate() {
        std::fs::write(Path::new(&dir).join(format!("suite-{i:04}.wasm")), bytes).unwrap();
    }
    println!("{} components written", components.len());
}
