//! `Features`: one switch per proposal. The default is WebAssembly 3.0.

use spindle_decode::Proposal;

use crate::error::{Result, ValidateError};

/// Which proposals the validator accepts. [`Features::default`] is WebAssembly 3.0.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Features {
    pub mutable_global: bool,
    pub sign_extension: bool,
    pub saturating_float_to_int: bool,
    pub multi_value: bool,
    pub bulk_memory: bool,
    pub reference_types: bool,
    pub simd: bool,
    pub relaxed_simd: bool,
    pub tail_call: bool,
    pub function_references: bool,
    pub gc: bool,
    pub exceptions: bool,
    pub memory64: bool,
    pub multi_memory: bool,
    pub extended_const: bool,
    /// Shared memories and atomics (not in 3.0).
    pub threads: bool,
    /// Memories with a page size other than 64 KiB (not in 3.0).
    pub custom_page_sizes: bool,
    /// 128-bit add/sub/multiply instructions (not in 3.0).
    pub wide_arithmetic: bool,
    /// Exact types and descriptors of GC structs (not in 3.0).
    pub custom_descriptors: bool,
}

impl Features {
    /// WebAssembly 1.0 (MVP) and nothing else.
    pub const fn wasm1() -> Features {
        Features {
            mutable_global: true,
            sign_extension: false,
            saturating_float_to_int: false,
            multi_value: false,
            bulk_memory: false,
            reference_types: false,
            simd: false,
            relaxed_simd: false,
            tail_call: false,
            function_references: false,
            gc: false,
            exceptions: false,
            memory64: false,
            multi_memory: false,
            extended_const: false,
            threads: false,
            custom_page_sizes: false,
            wide_arithmetic: false,
            custom_descriptors: false,
        }
    }

    /// WebAssembly 2.0.
    pub const fn wasm2() -> Features {
        Features {
            sign_extension: true,
            saturating_float_to_int: true,
            multi_value: true,
            bulk_memory: true,
            reference_types: true,
            simd: true,
            ..Features::wasm1()
        }
    }

    /// WebAssembly 3.0: 2.0 plus relaxed SIMD, tail calls, function references, GC,
    /// exceptions, memory64, multi-memory and extended constant expressions.
    pub const fn wasm3() -> Features {
        Features {
            relaxed_simd: true,
            tail_call: true,
            function_references: true,
            gc: true,
            exceptions: true,
            memory64: true,
            multi_memory: true,
            extended_const: true,
            ..Features::wasm2()
        }
    }

    /// Every proposal this validator knows.
    pub const fn all() -> Features {
        Features {
            threads: true,
            custom_page_sizes: true,
            wide_arithmetic: true,
            custom_descriptors: true,
            ..Features::wasm3()
        }
    }
}

impl Features {
    /// Every switch with its name, in declaration order.
    pub const fn flags(&self) -> [(&'static str, bool); 19] {
        // Destructured so that a new field does not compile until it is listed here.
        let Features {
            mutable_global,
            sign_extension,
            saturating_float_to_int,
            multi_value,
            bulk_memory,
            reference_types,
            simd,
            relaxed_simd,
            tail_call,
            function_references,
            gc,
            exceptions,
            memory64,
            multi_memory,
            extended_const,
            threads,
            custom_page_sizes,
            wide_arithmetic,
            custom_descriptors,
        } = *self;
        [
            ("mutable_global", mutable_global),
            ("sign_extension", sign_extension),
            ("saturating_float_to_int", saturating_float_to_int),
            ("multi_value", multi_value),
            ("bulk_memory", bulk_memory),
            ("reference_types", reference_types),
            ("simd", simd),
            ("relaxed_simd", relaxed_simd),
            ("tail_call", tail_call),
            ("function_references", function_references),
            ("gc", gc),
            ("exceptions", exceptions),
            ("memory64", memory64),
            ("multi_memory", multi_memory),
            ("extended_const", extended_const),
            ("threads", threads),
            ("custom_page_sizes", custom_page_sizes),
            ("wide_arithmetic", wide_arithmetic),
            ("custom_descriptors", custom_descriptors),
        ]
    }
}

/// The proposals a build can leave out, each with the cargo feature that keeps it in: the
/// one list [`compiled_in`] and the error naming the missing feature are made from. The
/// others (Wasm 1.0 and the 2.0 proposals but SIMD) are always in.
macro_rules! optional_proposals {
    ($( $($p:ident)|+ => $feature:literal, )*) => {
        /// Whether support for proposal `p` is compiled into this build: the cargo features
        /// `simd`, `relaxed-simd`, `gc` (GC and custom descriptors), `exceptions`,
        /// `threads`, `tail-call`, `function-references`, `memory64`, `multi-memory` and
        /// `wide-arithmetic` (all on by default) decide it; small builds leave them out
        /// (with none of them but `simd` the runtime is WebAssembly 2.0, plus extended
        /// constant expressions and custom page sizes). Validation refuses what is not
        /// compiled in whatever [`Features`] say, and the translator and interpreter test
        /// this constant too, so the code of a proposal left out is dead and not linked.
        pub const fn compiled_in(p: Proposal) -> bool {
            match p {
                $( $(Proposal::$p)|+ => cfg!(feature = $feature), )*
                _ => true,
            }
        }

        /// The cargo feature that compiles proposal `p` in ("(none)" for one always in).
        const fn feature_of(p: Proposal) -> &'static str {
            match p {
                $( $(Proposal::$p)|+ => $feature, )*
                _ => "(none)",
            }
        }
    };
}

optional_proposals! {
    Simd => "simd",
    RelaxedSimd => "relaxed-simd",
    Gc | CustomDesc => "gc",
    Exceptions => "exceptions",
    Threads => "threads",
    TailCall => "tail-call",
    FuncRefs => "function-references",
    Memory64 => "memory64",
    MultiMemory => "multi-memory",
    WideArith => "wide-arithmetic",
}

/// Whether a module can have a memory other than one unshared 32-bit memory 0 in this build
/// (memory64, multi-memory or threads compiled in). Without them every memory access is to
/// that memory, which the interpreter keeps at hand, and the `…Mem` instructions, which
/// look a memory up in the store and check bounds in 64 bits, are never emitted.
pub const fn other_memories_compiled_in() -> bool {
    compiled_in(Proposal::Memory64)
        || compiled_in(Proposal::MultiMemory)
        || compiled_in(Proposal::Threads)
}

/// An operator of proposal `p` at `offset`: an error if its support is not compiled in
/// ([`compiled_in`]). Inlined with a constant `p`, the check disappears or becomes the
/// error alone.
#[inline(always)]
pub fn check_compiled_in(p: Proposal, offset: usize) -> Result<()> {
    if compiled_in(p) {
        Ok(())
    } else {
        not_compiled_in(p, offset)
    }
}

#[cold]
#[inline(never)]
fn not_compiled_in(p: Proposal, offset: usize) -> Result<()> {
    let feature = feature_of(p);
    Err(ValidateError::invalid(
        offset,
        alloc::format!("{p:?} support is not compiled into this build (cargo feature `{feature}`)"),
    ))
}

impl Features {
    /// These features less the proposals not compiled into this build ([`compiled_in`]).
    pub const fn compiled(self) -> Features {
        Features {
            simd: self.simd && compiled_in(Proposal::Simd),
            relaxed_simd: self.relaxed_simd && compiled_in(Proposal::RelaxedSimd),
            gc: self.gc && compiled_in(Proposal::Gc),
            custom_descriptors: self.custom_descriptors && compiled_in(Proposal::CustomDesc),
            exceptions: self.exceptions && compiled_in(Proposal::Exceptions),
            threads: self.threads && compiled_in(Proposal::Threads),
            tail_call: self.tail_call && compiled_in(Proposal::TailCall),
            function_references: self.function_references && compiled_in(Proposal::FuncRefs),
            memory64: self.memory64 && compiled_in(Proposal::Memory64),
            multi_memory: self.multi_memory && compiled_in(Proposal::MultiMemory),
            wide_arithmetic: self.wide_arithmetic && compiled_in(Proposal::WideArith),
            ..self
        }
    }
}

impl Default for Features {
    fn default() -> Features {
        Features::wasm3()
    }
}
