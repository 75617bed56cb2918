//! What function bodies and constant expressions are checked against: the module's index
//! spaces, as the spec's validation context `C`.

use alloc::vec::Vec;

use spindle_decode::{GlobalType, MemoryType, RefType, TableType, ValType};

use crate::types::TypeSpace;
use crate::Features;

/// The validation context of a module.
#[derive(Default)]
pub struct ModuleCtx {
    pub features: Features,
    pub types: TypeSpace,
    /// Type index of every function (imports first).
    pub funcs: Vec<u32>,
    /// Whether `ref.func` of each function has an exact type (all but inexact imports).
    pub funcs_exact: Vec<bool>,
    pub tables: Vec<TableType>,
    pub memories: Vec<MemoryType>,
    pub globals: Vec<GlobalType>,
    /// Function type index of every tag.
    pub tags: Vec<u32>,
    /// Element type of every element segment.
    pub elems: Vec<RefType>,
    pub data_count: Option<u32>,
    /// Functions that may be named by `ref.func` inside function bodies (the spec's `C.refs`).
    pub declared: Vec<bool>,
}

impl ModuleCtx {
    /// The index type of memory `idx`'s addresses.
    pub fn memory_index_type(&self, idx: u32) -> Option<ValType> {
        self.memories.get(idx as usize).map(|m| {
            if m.memory64 {
                ValType::I64
            } else {
                ValType::I32
            }
        })
    }

    /// The index type of table `idx`.
    pub fn table_index_type(&self, idx: u32) -> Option<ValType> {
        self.tables.get(idx as usize).map(|t| {
            if t.table64 {
                ValType::I64
            } else {
                ValType::I32
            }
        })
    }
}
