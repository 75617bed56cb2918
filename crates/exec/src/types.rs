#![forbid(unsafe_code)]
//! Engine-wide function types: every module's types get one id per distinct signature, so
//! `call_indirect` compares two integers across modules.

use std::collections::HashMap;
use std::sync::Mutex;

use spindle_decode::ValType;

/// A function signature.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct FuncType {
    pub params: Vec<ValType>,
    pub results: Vec<ValType>,
}

/// Interned function types, shared by an engine's modules and stores.
#[derive(Default, Debug)]
pub struct TypeRegistry {
    inner: Mutex<Registry>,
}

#[derive(Default, Debug)]
struct Registry {
    types: Vec<FuncType>,
    ids: HashMap<FuncType, u32>,
}

impl TypeRegistry {
    /// The id of `ty`, interning it.
    pub fn intern(&self, ty: &FuncType) -> u32 {
        let mut r = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(id) = r.ids.get(ty) {
            return *id;
        }
        let id = r.types.len() as u32;
        r.types.push(ty.clone());
        r.ids.insert(ty.clone(), id);
        id
    }

    /// The type with id `id`.
    pub fn get(&self, id: u32) -> FuncType {
        let r = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        r.types[id as usize].clone()
    }
}
