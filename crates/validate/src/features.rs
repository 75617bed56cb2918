//! `Features`: one switch per proposal. The default is WebAssembly 3.0.

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

impl Default for Features {
    fn default() -> Features {
        Features::wasm3()
    }
}
