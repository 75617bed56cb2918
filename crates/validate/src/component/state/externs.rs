//! Imports and exports: entities entering the index spaces by name, the "named types" rule
//! (every record, variant, enum, flags and resource an import or export mentions must itself be
//! imported or exported), the resource names of `[constructor]`/`[method]`/`[static]`
//! functions, and the checks of extern names (kebab names, interfaces, versions, accessors).
//!
//! Separate because these are the rules about names and what a component exposes, shared by
//! imports, exports, aliases and instances built from exports.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;

use spindle_decode::component::{ExternName as DecodedName, Sort, TypeRef};

use super::{
    check_max, Kind, State, MAX_COMPONENTS, MAX_EXPORTS, MAX_FUNCTIONS, MAX_INSTANCES, MAX_MODULES,
    MAX_TYPES, MAX_VALUES,
};
use crate::component::names::{self, Accessor, ExternName, NameKey, ResourceFunc};
use crate::component::types::*;
use crate::error::{bail, Result};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum ExternKind {
    Import,
    Export,
}

impl ExternKind {
    fn desc(self) -> &'static str {
        match self {
            ExternKind::Import => "import",
            ExternKind::Export => "export",
        }
    }
}

/// Names of the top-level resources of one side (imports or exports), for the
/// `[constructor]`/`[method]`/`[static]` rules.
#[derive(Default, Clone)]
pub(super) struct ResourceNames {
    /// Resource (with its alias stamp) → its name.
    by_id: BTreeMap<TypeId, String>,
    all: BTreeSet<String>,
}

impl State {
    // ---- imports, exports, entities ----

    pub fn add_import(
        &mut self,
        types: &mut Types,
        name: &DecodedName<'_>,
        mut ty: EntityType,
        offset: usize,
    ) -> Result<()> {
        self.add_entity(
            types,
            &mut ty,
            Some((name.name, ExternKind::Import)),
            offset,
        )?;
        let names = core::mem::take(&mut self.imported_resource_names);
        let mut kind_names = core::mem::take(&mut self.import_names);
        let mut items = core::mem::take(&mut self.imports);
        let r = validate_extern(
            &names,
            types,
            name,
            ExternKind::Import,
            &ty,
            offset,
            &mut kind_names,
            &mut items,
            &mut self.type_info,
        );
        self.imported_resource_names = names;
        self.import_names = kind_names;
        self.imports = items;
        r
    }

    pub fn add_export(
        &mut self,
        types: &mut Types,
        name: &DecodedName<'_>,
        mut ty: EntityType,
        offset: usize,
        check_limit: bool,
    ) -> Result<()> {
        if check_limit {
            check_max(self.exports.len(), 1, MAX_EXPORTS, "exports", offset)?;
        }
        self.add_entity(
            types,
            &mut ty,
            Some((name.name, ExternKind::Export)),
            offset,
        )?;
        let names = core::mem::take(&mut self.exported_resource_names);
        let mut kind_names = core::mem::take(&mut self.export_names);
        let mut items = core::mem::take(&mut self.exports);
        let r = validate_extern(
            &names,
            types,
            name,
            ExternKind::Export,
            &ty,
            offset,
            &mut kind_names,
            &mut items,
            &mut self.type_info,
        );
        self.exported_resource_names = names;
        self.export_names = kind_names;
        self.exports = items;
        r
    }

    pub(super) fn add_entity(
        &mut self,
        types: &mut Types,
        ty: &mut EntityType,
        name_kind: Option<(&str, ExternKind)>,
        offset: usize,
    ) -> Result<()> {
        let kind = name_kind.map(|x| x.1);
        let (len, max, what) = match ty {
            EntityType::Module(id) => {
                self.core_modules.push(*id);
                (self.core_modules.len(), MAX_MODULES, "modules")
            }
            EntityType::Component(id) => {
                self.components.push(*id);
                (self.components.len(), MAX_COMPONENTS, "components")
            }
            EntityType::Instance(id) => {
                match kind {
                    Some(ExternKind::Import) => self.prepare_instance_import(id, types),
                    Some(ExternKind::Export) => self.prepare_instance_export(id, types),
                    None => {}
                }
                self.instances.push(*id);
                (self.instance_count(), MAX_INSTANCES, "instances")
            }
            EntityType::Func(id) => {
                self.funcs.push(*id);
                (self.function_count(), MAX_FUNCTIONS, "functions")
            }
            EntityType::Value(v) => {
                let used = kind == Some(ExternKind::Export);
                if used && types.val_abi(*v).borrow {
                    bail!(offset, "exported value type cannot contain a `borrow` type");
                }
                self.values.push((*v, used));
                (self.values.len(), MAX_VALUES, "values")
            }
            EntityType::Type {
                created,
                referenced,
            } => {
                self.types.push(*created);
                if let AnyTypeId::Resource(id) = *created {
                    if created == referenced {
                        match kind {
                            Some(ExternKind::Import) => self
                                .imported_resources
                                .push((id.index, alloc::vec![self.imports.len()])),
                            Some(ExternKind::Export) => {
                                self.defined_resources.push((id.index, None))
                            }
                            None => {}
                        }
                    }
                }
                (self.types.len(), MAX_TYPES, "types")
            }
        };
        check_max(len, 0, max, what, offset)?;
        if let Some((name, kind)) = name_kind {
            if !self.register_named_types(Some(name), kind, ty, types) {
                bail!(
                    offset,
                    "{} not valid to be used as {}",
                    ty.desc(),
                    kind.desc()
                );
            }
        }
        Ok(())
    }

    fn register_named_types(
        &mut self,
        toplevel: Option<&str>,
        kind: ExternKind,
        ty: &EntityType,
        types: &Types,
    ) -> bool {
        if let (
            EntityType::Type {
                created: AnyTypeId::Resource(id),
                ..
            },
            Some(name),
        ) = (ty, toplevel)
        {
            let cx = match kind {
                ExternKind::Import => &mut self.imported_resource_names,
                ExternKind::Export => &mut self.exported_resource_names,
            };
            cx.by_id.insert(*id, String::from(name));
            cx.all.insert(String::from(name));
        }
        if self.kind == Kind::InstanceType {
            return true;
        }
        match ty {
            EntityType::Type {
                created,
                referenced,
            } => {
                if kind == ExternKind::Import
                    && self.exported_types.contains(referenced)
                    && !self.imported_types.contains(referenced)
                {
                    return false;
                }
                let set = match kind {
                    ExternKind::Import => &mut self.imported_types,
                    ExternKind::Export => &mut self.exported_types,
                };
                if !all_named(types, *referenced, set) {
                    return false;
                }
                match kind {
                    ExternKind::Import => {
                        self.imported_types.insert(*created);
                        self.exported_types.insert(*created);
                    }
                    ExternKind::Export => {
                        self.exported_types.insert(*created);
                    }
                }
                true
            }
            EntityType::Instance(i) => {
                let items: Vec<EntityType> =
                    types.instance(*i).exports.values().map(|x| x.ty).collect();
                items
                    .iter()
                    .all(|t| self.register_named_types(None, kind, t, types))
            }
            EntityType::Func(id) => {
                let set = match kind {
                    ExternKind::Import => &self.imported_types,
                    ExternKind::Export => &self.exported_types,
                };
                func_named(types, *id, set)
            }
            EntityType::Value(v) => {
                let set = match kind {
                    ExternKind::Import => &self.imported_types,
                    ExternKind::Export => &self.exported_types,
                };
                val_named(types, *v, set)
            }
            EntityType::Component(_) | EntityType::Module(_) => true,
        }
    }

    fn prepare_instance_import(&mut self, id: &mut TypeId, types: &mut Types) {
        let ty = types.instance(*id).clone();
        if ty.defined_resources.is_empty() {
            return;
        }
        let paths =
            types.explicit_resource_paths(&ty.exports, ty.defined_resources.iter().copied());
        let mut mapping = Remapping::default();
        for old in &ty.defined_resources {
            let new = types.alloc_resource();
            mapping.resources.insert(*old, new.index);
            let mut path = alloc::vec![self.imports.len()];
            if let Some(p) = paths.get(old) {
                path.extend(p);
            }
            self.imported_resources.push((new.index, path));
        }
        let mut new_ty = ty;
        new_ty.defined_resources.clear();
        for item in new_ty.exports.values_mut() {
            types.remap_entity(&mut item.ty, &mut mapping);
        }
        *id = types.push_instance(new_ty);
    }

    fn prepare_instance_export(&mut self, id: &mut TypeId, types: &mut Types) {
        let ty = types.instance(*id).clone();
        if ty.defined_resources.is_empty() {
            return;
        }
        let mut mapping = Remapping::default();
        for old in &ty.defined_resources {
            let new = types.alloc_resource();
            mapping.resources.insert(*old, new.index);
            self.defined_resources.push((new.index, None));
        }
        let mut new_ty = ty;
        new_ty.defined_resources.clear();
        for item in new_ty.exports.values_mut() {
            types.remap_entity(&mut item.ty, &mut mapping);
        }
        *id = types.push_instance(new_ty);
    }

    /// The entity an export names, checked against its ascribed type if any.
    pub fn export_entity(
        &mut self,
        types: &mut Types,
        sort: Sort,
        index: u32,
        ascribed: Option<&TypeRef>,
        offset: usize,
    ) -> Result<EntityType> {
        let actual = match sort {
            Sort::CoreModule => EntityType::Module(self.module_at(index, offset)?),
            Sort::Func => EntityType::Func(self.function_at(index, offset)?),
            Sort::Value => EntityType::Value(self.value_at(index, offset)?),
            Sort::Type => {
                let referenced = self.type_at(index, offset)?;
                let created = types.with_unique(referenced);
                EntityType::Type {
                    referenced,
                    created,
                }
            }
            Sort::Instance => EntityType::Instance(self.instance_at(index, offset)?),
            Sort::Component => EntityType::Component(self.component_at(index, offset)?),
        };
        let Some(t) = ascribed else {
            return Ok(actual);
        };
        let ascribed = self.type_ref(types, t, offset)?;
        types.entity_sub(&actual, &ascribed, offset)?;
        Ok(ascribed)
    }
}

// ---- named types ----

fn all_named(types: &Types, id: AnyTypeId, set: &mut BTreeSet<AnyTypeId>) -> bool {
    match id {
        AnyTypeId::Resource(_) | AnyTypeId::Component(_) => true,
        AnyTypeId::Defined(d) => defined_named(types, d, set),
        AnyTypeId::Func(f) => func_named(types, f, set),
        AnyTypeId::Instance(i) => instance_named(types, i, set),
    }
}

fn instance_named(types: &Types, id: TypeId, set: &mut BTreeSet<AnyTypeId>) -> bool {
    let mut added = Vec::new();
    let items: Vec<EntityType> = types.instance(id).exports.values().map(|x| x.ty).collect();
    let mut ret = true;
    for t in items {
        let ok = match t {
            EntityType::Module(_) | EntityType::Component(_) => true,
            EntityType::Func(f) => func_named(types, f, set),
            EntityType::Type { created, .. } => {
                let named = all_named(types, created, set);
                if named && set.insert(created) {
                    added.push(created);
                }
                named
            }
            EntityType::Value(ValType::Type(d)) => defined_named(types, d, set),
            EntityType::Value(ValType::Primitive(_)) => true,
            EntityType::Instance(i) => instance_named(types, i, set),
        };
        if !ok {
            ret = false;
            break;
        }
    }
    for a in added {
        set.remove(&a);
    }
    ret
}

/// Whether the types a defined type refers to (one level down) are named.
fn defined_named(types: &Types, id: TypeId, set: &BTreeSet<AnyTypeId>) -> bool {
    match &types.defined(id).ty {
        DefinedType::Primitive(_) | DefinedType::Flags(_) | DefinedType::Enum(_) => true,
        DefinedType::Record(fs) => fs.iter().all(|(_, t)| val_named(types, *t, set)),
        DefinedType::Tuple(ts) => ts.iter().all(|t| val_named(types, *t, set)),
        DefinedType::Variant(cs) => cs
            .iter()
            .filter_map(|c| c.1)
            .all(|t| val_named(types, t, set)),
        DefinedType::Result { ok, err } => ok
            .iter()
            .chain(err.iter())
            .all(|t| val_named(types, *t, set)),
        DefinedType::List(t) | DefinedType::FixedLengthList(t, _) | DefinedType::Option(t) => {
            val_named(types, *t, set)
        }
        DefinedType::Map(k, v) => val_named(types, *k, set) && val_named(types, *v, set),
        DefinedType::Own(r) | DefinedType::Borrow(r) => set.contains(&AnyTypeId::Resource(*r)),
        DefinedType::Future(t) | DefinedType::Stream(t) => {
            t.iter().all(|t| val_named(types, *t, set))
        }
    }
}

fn func_named(types: &Types, id: TypeId, set: &BTreeSet<AnyTypeId>) -> bool {
    let f = types.func(id);
    f.params
        .iter()
        .map(|p| p.1)
        .chain(f.result)
        .all(|t| val_named(types, t, set))
}

/// Whether a value type is named where it must be (records, variants, flags and enums must
/// be named types; the others are checked through).
fn val_named(types: &Types, t: ValType, set: &BTreeSet<AnyTypeId>) -> bool {
    let ValType::Type(id) = t else { return true };
    match &types.defined(id).ty {
        DefinedType::Primitive(_) => true,
        DefinedType::Flags(_)
        | DefinedType::Enum(_)
        | DefinedType::Record(_)
        | DefinedType::Variant(_) => set.contains(&AnyTypeId::Defined(id)),
        DefinedType::Tuple(ts) => ts.iter().all(|t| val_named(types, *t, set)),
        DefinedType::Result { ok, err } => ok
            .iter()
            .chain(err.iter())
            .all(|t| val_named(types, *t, set)),
        DefinedType::List(t) | DefinedType::FixedLengthList(t, _) | DefinedType::Option(t) => {
            val_named(types, *t, set)
        }
        DefinedType::Map(k, v) => val_named(types, *k, set) && val_named(types, *v, set),
        DefinedType::Own(r) | DefinedType::Borrow(r) => set.contains(&AnyTypeId::Resource(*r)),
        DefinedType::Future(t) | DefinedType::Stream(t) => {
            t.iter().all(|t| val_named(types, *t, set))
        }
    }
}

// ---- extern names ----

#[allow(clippy::too_many_arguments)]
pub(super) fn validate_extern(
    cx: &ResourceNames,
    types: &Types,
    name: &DecodedName<'_>,
    kind: ExternKind,
    ty: &EntityType,
    offset: usize,
    kind_names: &mut BTreeSet<NameKey>,
    items: &mut NameMap<Item>,
    info: &mut TypeInfo,
) -> Result<()> {
    let parsed = match names::parse(name.name) {
        Ok(p) => p,
        Err(e) => bail!(
            offset,
            "{} name `{}` is not a valid extern name: {e}",
            kind.desc(),
            name.name
        ),
    };
    if let Some(suffix) = name.version_suffix {
        if !matches!(ty, EntityType::Instance(_)) {
            bail!(offset, "only instances can have a `version-suffix`");
        }
        if suffix.is_empty() {
            bail!(offset, "version suffix cannot be empty");
        }
        if name.implements.is_none() && !matches!(parsed, ExternName::Interface(_)) {
            bail!(
                offset,
                "`version-suffix` requires an interface name or `implements`"
            );
        }
    }
    if let Some(implements) = name.implements {
        match &parsed {
            ExternName::Plain(p) if p.is_bare() => {}
            _ => bail!(
                offset,
                "name `{}` is not valid with `implements`",
                name.name
            ),
        }
        if !matches!(ty, EntityType::Instance(_)) {
            bail!(offset, "only instances can have an `implements`");
        }
        match names::parse(implements) {
            Ok(ExternName::Interface(i)) => {
                if let Err(e) = names::check_interface_version(i, name.version_suffix) {
                    bail!(offset, "invalid interface version: {e}");
                }
            }
            Ok(_) => bail!(offset, "name `{implements}` must be an interface"),
            Err(e) => bail!(offset, "`{implements}` is not a valid name: {e}"),
        }
    }
    validate_name(cx, types, &parsed, name.version_suffix, ty, offset)?;
    if !kind_names.insert(parsed.key()) {
        bail!(
            offset,
            "{} name `{}` conflicts with previous name",
            kind.desc(),
            name.name
        );
    }
    if let ExternName::Plain(p) = &parsed {
        if p.accessor == Some(Accessor::Set) {
            let getter = p.getter_for_setter();
            let Some(g) = items.get(&getter) else {
                bail!(
                    offset,
                    "{} name `{}` requires a preceding {} named `{getter}`",
                    kind.desc(),
                    name.name,
                    kind.desc()
                );
            };
            let (EntityType::Func(setter), EntityType::Func(getter_f)) = (*ty, g.ty) else {
                bail!(offset, "item is not a func");
            };
            let Some((_, spty)) = types.func(setter).params.last() else {
                bail!(offset, "setter function should have parameters");
            };
            let Some(grty) = types.func(getter_f).result else {
                bail!(offset, "getter function should return a value");
            };
            let prop = match grty {
                ValType::Type(id) => match &types.defined(id).ty {
                    DefinedType::Result { ok: Some(ok), .. } => *ok,
                    DefinedType::Result { ok: None, .. } => {
                        bail!(offset, "getter result has no value type")
                    }
                    _ => grty,
                },
                _ => grty,
            };
            if types.val_sub(*spty, prop, offset).is_err()
                || types.val_sub(prop, *spty, offset).is_err()
            {
                bail!(
                    offset,
                    "{} `{}`'s parameter type must match the return type of `{getter}`",
                    kind.desc(),
                    name.name
                );
            }
        }
    }
    if !items.insert(
        String::from(name.name),
        Item {
            ty: *ty,
            version_suffix: name.version_suffix.map(String::from),
        },
    ) {
        bail!(
            offset,
            "{} name `{}` conflicts with previous name",
            kind.desc(),
            name.name
        );
    }
    info.combine(types.entity_info(ty), offset)?;
    Ok(())
}

fn validate_name(
    cx: &ResourceNames,
    types: &Types,
    name: &ExternName<'_>,
    version_suffix: Option<&str>,
    ty: &EntityType,
    offset: usize,
) -> Result<()> {
    let func = || -> Result<&FuncType> {
        match ty {
            EntityType::Func(id) => Ok(types.func(*id)),
            _ => bail!(offset, "item is not a func"),
        }
    };
    let resource_name = |id: TypeId, expected: &str| -> Result<()> {
        match cx.by_id.get(&id) {
            None => bail!(
                offset,
                "resource used in function does not have a name in this context"
            ),
            Some(n) if n != expected => {
                bail!(
                    offset,
                    "function does not match expected resource name `{n}`"
                )
            }
            Some(_) => Ok(()),
        }
    };
    match name {
        ExternName::Interface(i) => {
            if let Err(e) = names::check_interface_version(i, version_suffix) {
                bail!(offset, "invalid interface version: {e}");
            }
        }
        ExternName::Plain(p) => {
            match p.resource_func {
                Some(ResourceFunc::Constructor) => {
                    let f = func()?;
                    if f.is_async {
                        bail!(offset, "constructor function cannot be async");
                    }
                    let Some(r) = f.result else {
                        bail!(offset, "function should return one value");
                    };
                    let res = match r {
                        ValType::Primitive(_) => None,
                        ValType::Type(id) => match &types.defined(id).ty {
                            DefinedType::Own(r) => Some(*r),
                            DefinedType::Result {
                                ok: Some(ValType::Type(ok)),
                                ..
                            } => match &types.defined(*ok).ty {
                                DefinedType::Own(r) => Some(*r),
                                _ => None,
                            },
                            _ => None,
                        },
                    };
                    let Some(res) = res else {
                        bail!(
                            offset,
                            "function should return `(own $T)` or `(result (own $T))`"
                        );
                    };
                    resource_name(res, p.resource().unwrap_or(""))?;
                }
                Some(ResourceFunc::Method) => {
                    let f = func()?;
                    let Some((pname, pty)) = f.params.first() else {
                        bail!(offset, "function should have at least one argument");
                    };
                    if pname != "self" {
                        bail!(
                            offset,
                            "function should have a first argument called `self`"
                        );
                    }
                    let id = match pty {
                        ValType::Type(t) => match &types.defined(*t).ty {
                            DefinedType::Borrow(r) => Some(*r),
                            _ => None,
                        },
                        _ => None,
                    };
                    let Some(id) = id else {
                        bail!(
                            offset,
                            "function should take a first argument of `(borrow $T)`"
                        );
                    };
                    resource_name(id, p.resource().unwrap_or(""))?;
                }
                Some(ResourceFunc::Static) => {
                    func()?;
                    if !cx.all.contains(p.resource().unwrap_or("")) {
                        bail!(offset, "static resource name is not known in this context");
                    }
                }
                None => {}
            }
            if let Some(acc) = p.accessor {
                let f = func()?;
                if f.is_async {
                    bail!(offset, "accessor function cannot be async");
                }
                let own = match p.resource_func {
                    Some(ResourceFunc::Method) => f.params.len() - 1,
                    _ => f.params.len(),
                };
                match acc {
                    Accessor::Get => {
                        if own != 0 {
                            bail!(offset, "getter function should have no parameters");
                        }
                        match f.result {
                            None => bail!(offset, "getter function should return a value"),
                            Some(ValType::Type(id)) => {
                                if let DefinedType::Result { ok: None, .. } = types.defined(id).ty {
                                    bail!(offset, "if a getter function returns a result, that result must have a value type");
                                }
                            }
                            Some(_) => {}
                        }
                    }
                    Accessor::Set => {
                        if own != 1 {
                            bail!(offset, "setter function should have exactly one parameter");
                        }
                        let ok = match f.result {
                            None => true,
                            Some(ValType::Primitive(_)) => false,
                            Some(ValType::Type(id)) => {
                                matches!(types.defined(id).ty, DefinedType::Result { ok: None, .. })
                            }
                        };
                        if !ok {
                            bail!(
                                offset,
                                "setter function should return nothing or `(result (error $E)?)`"
                            );
                        }
                    }
                }
            }
        }
    }
    Ok(())
}
