//! The start function and the checks that complete a component or component type: every value
//! used, and the component's type, where local resources may not appear in imports and may
//! appear in exports only when exported themselves.
//!
//! Separate because these run once per component (the start function at most once, the rest at
//! its end) rather than per item.

use alloc::collections::BTreeSet;
use alloc::vec::Vec;

use super::State;
use crate::component::types::*;
use crate::error::{bail, Result};

impl State {
    /// Completes a component (or component type): its type.
    pub fn finish(&mut self, types: &mut Types, offset: usize) -> Result<ComponentType> {
        let mut ty = ComponentType {
            imports: self.imports.clone(),
            exports: self.exports.clone(),
            imported_resources: core::mem::take(&mut self.imported_resources),
            defined_resources: Vec::new(),
            info: self.type_info,
        };
        let mut free = BTreeSet::new();
        for item in ty.imports.values() {
            types.free_entity(&item.ty, &mut free);
        }
        for (r, _) in &self.defined_resources {
            if free.contains(r) {
                bail!(offset, "local resource type found in imports");
            }
        }
        free.clear();
        for item in ty.exports.values() {
            types.free_entity(&item.ty, &mut free);
        }
        let defined: Vec<u32> = core::mem::take(&mut self.defined_resources)
            .into_iter()
            .map(|(r, _)| r)
            .filter(|r| free.contains(r))
            .collect();
        let mut paths = types.explicit_resource_paths(&ty.exports, defined.iter().copied());
        for r in defined {
            match paths.remove(&r) {
                Some(p) => ty.defined_resources.push((r, p)),
                None => bail!(
                    offset,
                    "local resource type found in export but not exported itself"
                ),
            }
        }
        Ok(ty)
    }

    /// Checks that every value was used (at the end of a component).
    pub fn check_values_used(&self, offset: usize) -> Result<()> {
        if let Some(i) = self.values.iter().position(|(_, used)| !*used) {
            bail!(
                offset,
                "value index {i} was not used as part of an instantiation, start function, or export"
            );
        }
        Ok(())
    }

    // ---- start ----

    pub fn add_start(
        &mut self,
        types: &Types,
        func: u32,
        args: &[u32],
        results: u32,
        offset: usize,
    ) -> Result<()> {
        if self.has_start {
            bail!(offset, "component cannot have more than one start function");
        }
        let f = types.func(self.function_at(func, offset)?).clone();
        if f.params.len() != args.len() {
            bail!(
                offset,
                "component start function requires {} arguments but was given {}",
                f.params.len(),
                args.len()
            );
        }
        if u32::from(f.result.is_some()) != results {
            bail!(offset, "component start function has a result count of {results} but the function type has a different one");
        }
        for ((_, t), a) in f.params.iter().zip(args) {
            let v = self.value_at(*a, offset)?;
            types.val_sub(v, *t, offset)?;
        }
        if let Some(t) = f.result {
            self.values.push((t, false));
        }
        self.has_start = true;
        Ok(())
    }
}
