//! Decode-time limits, checked before anything is allocated from a count read off the input.
//! The figures are those embedders expect (the same as wasmtime's and wasmparser's).

/// Largest module accepted, in bytes.
pub const MAX_MODULE_SIZE: usize = 1024 * 1024 * 1024;
/// Types in the type section (counting the members of rec groups).
pub const MAX_TYPES: usize = 1_000_000;
/// Types in one rec group.
pub const MAX_REC_GROUP_SIZE: usize = 1_000_000;
/// Functions, imported and defined.
pub const MAX_FUNCTIONS: usize = 1_000_000;
/// Imports.
pub const MAX_IMPORTS: usize = 1_000_000;
/// Exports.
pub const MAX_EXPORTS: usize = 1_000_000;
/// Globals.
pub const MAX_GLOBALS: usize = 1_000_000;
/// Tags.
pub const MAX_TAGS: usize = 1_000_000;
/// Element segments.
pub const MAX_ELEMENT_SEGMENTS: usize = 100_000;
/// Data segments.
pub const MAX_DATA_SEGMENTS: usize = 100_000;
/// Tables.
pub const MAX_TABLES: usize = 100_000;
/// Memories.
pub const MAX_MEMORIES: usize = 100;
/// Locals per function, parameters included.
pub const MAX_LOCALS: usize = 50_000;
/// Parameters or results of one function type.
pub const MAX_PARAMS: usize = 1_000;
/// Fields of a struct type.
pub const MAX_STRUCT_FIELDS: usize = 10_000;
/// Targets of one `br_table`.
pub const MAX_BR_TABLE_TARGETS: usize = MAX_FUNCTION_SIZE;
/// Nesting depth of blocks in one function.
pub const MAX_NESTING: usize = 50_000;
/// Catch clauses of one `try_table`.
pub const MAX_CATCHES: usize = 10_000;
/// Size of one function body, in bytes.
pub const MAX_FUNCTION_SIZE: usize = 7_654_321;
/// Length of a name.
pub const MAX_STRING_LEN: usize = 100_000;
/// Elements in one element segment.
pub const MAX_ELEMENT_ITEMS: usize = 10_000_000;
/// Supertypes read per type (validation then allows at most one).
pub const MAX_SUPERTYPES: usize = 5;
/// Depth of a subtyping chain.
pub const MAX_SUBTYPING_DEPTH: usize = 63;
/// Memory pages: 32-bit memories (64 KiB pages).
pub const MAX_PAGES_32: u64 = 1 << 16;
/// Memory pages: 64-bit memories (64 KiB pages).
pub const MAX_PAGES_64: u64 = 1 << 48;
/// Table elements.
pub const MAX_TABLE_ELEMENTS: u64 = 10_000_000;

// Component binaries (feature `component`). Where wasmparser's readers have a limit we use
// the same figure, so the two agree on what is well-formed.

/// Items in one section of a component (also bounded by the section's bytes).
pub const MAX_COMPONENT_SECTION_ITEMS: usize = 1_000_000;
/// Depth of components nested in components (the top level is depth 0). Ours alone:
/// wasmparser walks nested components with an explicit stack and has no such limit.
pub const MAX_COMPONENT_NESTING: usize = 100;
/// Depth of component and instance types nested in type declarations.
pub const MAX_COMPONENT_TYPE_NESTING: usize = 100;
/// Declarations in one core module type.
pub const MAX_MODULE_TYPE_DECLARATIONS: usize = 100_000;
/// Declarations in one component type.
pub const MAX_COMPONENT_TYPE_DECLARATIONS: usize = 1_000_000;
/// Declarations in one instance type.
pub const MAX_INSTANCE_TYPE_DECLARATIONS: usize = 1_000_000;
/// Parameters of one component function type.
pub const MAX_COMPONENT_FUNCTION_PARAMS: usize = 1_000;
/// Fields of one record.
pub const MAX_RECORD_FIELDS: usize = 10_000;
/// Cases of one variant.
pub const MAX_VARIANT_CASES: usize = 10_000;
/// Types of one tuple.
pub const MAX_TUPLE_TYPES: usize = 10_000;
/// Names of one flags type.
pub const MAX_FLAGS: usize = 1_000;
/// Cases of one enum.
pub const MAX_ENUM_CASES: usize = 10_000;
/// Arguments of one instantiation (core or component), and exports of one core instance
/// made of exports.
pub const MAX_INSTANTIATION_ARGS: usize = 100_000;
/// Exports of one component instance made of exports.
pub const MAX_INSTANCE_EXPORTS: usize = 100_000;
/// Options of one canonical function.
pub const MAX_CANONICAL_OPTIONS: usize = 10;
/// Arguments of the start function.
pub const MAX_START_ARGS: usize = 1_000;
/// Results of the start function.
pub const MAX_START_RESULTS: usize = 1_000;
