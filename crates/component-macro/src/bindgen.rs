//! `bindgen!`: typed host bindings of a WIT world, in the shape wasmtime's `bindgen!`
//! gives them (synchronous, no options beyond choosing the world), so that a host written
//! for wasmtime compiles against `spindle` with the crate renamed.
//!
//! For the world `w` it generates:
//! - a module per interface (`ns::pkg::iface`, under `exports::` for exported ones) with
//!   the interface's types (records, variants, enums and flags with the derives; resource
//!   types: an empty enum for a host resource, `ResourceAny` for a guest's);
//! - per imported interface: a `Host` trait (and `HostR` per resource `r`, with `drop`),
//!   forwarding impls for `&mut T`, and `add_to_linker`/`add_to_linker_instance` taking a
//!   [`HasData`](spindle::component::HasData) getter;
//! - per exported interface: `Guest` with `call_*` methods (`GuestR` per resource,
//!   from `guest.r()`), and `GuestIndices`;
//! - `W`, `WPre`, `WIndices`: `instantiate`, `new`, `add_to_linker`, an accessor per export.

use std::collections::HashMap;
use std::path::PathBuf;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::parse::{Parse, ParseStream};
use syn::{LitStr, Token};
use wit_parser::{
    Function, FunctionKind, Handle, InterfaceId, PackageId, Resolve, Type, TypeDefKind, TypeId,
    TypeOwner, WorldItem, WorldKey,
};

use crate::names::{camel, ident, shouty, snake};

/// What the invocation asks for.
#[derive(Default)]
struct Options {
    world: Option<String>,
    path: Option<String>,
    inline: Option<String>,
    /// `with: { "ns:pkg/iface.resource": path }`: host resources given the host's own type.
    with: HashMap<String, syn::Path>,
    /// `imports: { default: trappable }`: host functions return `spindle::Result<T>` (an
    /// `Err` traps the guest).
    trappable: bool,
}

impl Parse for Options {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut opts = Options::default();
        if input.peek(LitStr) {
            // `bindgen!("world")` or `bindgen!("world" in "path")`.
            opts.world = Some(input.parse::<LitStr>()?.value());
            if input.peek(Token![in]) {
                input.parse::<Token![in]>()?;
                opts.path = Some(input.parse::<LitStr>()?.value());
            }
            return Ok(opts);
        }
        if input.is_empty() {
            return Ok(opts);
        }
        let body;
        syn::braced!(body in input);
        while !body.is_empty() {
            let key: syn::Ident = body.parse()?;
            body.parse::<Token![:]>()?;
            match key.to_string().as_str() {
                "world" => opts.world = Some(body.parse::<LitStr>()?.value()),
                "path" => opts.path = Some(body.parse::<LitStr>()?.value()),
                "inline" => opts.inline = Some(body.parse::<LitStr>()?.value()),
                "with" => {
                    let map;
                    syn::braced!(map in body);
                    while !map.is_empty() {
                        let k = map.parse::<LitStr>()?;
                        map.parse::<Token![:]>()?;
                        let v = map.parse::<syn::Path>()?;
                        if !k.value().contains('.') {
                            return Err(syn::Error::new(
                                k.span(),
                                "Spindle's bindgen! maps resources only \
                                 (`\"ns:pkg/interface.resource\": path`)",
                            ));
                        }
                        opts.with.insert(k.value(), v);
                        if !map.is_empty() {
                            map.parse::<Token![,]>()?;
                        }
                    }
                }
                "imports" => {
                    // `{ default: trappable }`; `tracing` is accepted and ignored.
                    let map;
                    syn::braced!(map in body);
                    while !map.is_empty() {
                        let k: syn::Ident = map.parse()?;
                        map.parse::<Token![:]>()?;
                        if k != "default" {
                            return Err(syn::Error::new(
                                k.span(),
                                "Spindle's bindgen! takes `imports: { default: ... }` only",
                            ));
                        }
                        loop {
                            let flag: syn::Ident = map.parse()?;
                            match flag.to_string().as_str() {
                                "trappable" => opts.trappable = true,
                                "tracing" => {}
                                other => {
                                    return Err(syn::Error::new(
                                        flag.span(),
                                        format!(
                                            "import flag `{other}` is not supported by Spindle"
                                        ),
                                    ))
                                }
                            }
                            if !map.peek(Token![|]) {
                                break;
                            }
                            map.parse::<Token![|]>()?;
                        }
                        if !map.is_empty() {
                            map.parse::<Token![,]>()?;
                        }
                    }
                }
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                            "bindgen! option `{other}` is not supported by Spindle (supported: \
                             world, path, inline, with, imports)"
                        ),
                    ))
                }
            }
            if !body.is_empty() {
                body.parse::<Token![,]>()?;
            }
        }
        Ok(opts)
    }
}

fn err(msg: impl std::fmt::Display) -> syn::Error {
    syn::Error::new(Span::call_site(), msg.to_string())
}

pub fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let opts: Options = syn::parse2(input)?;
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let mut resolve = Resolve::default();
    let mut packages: Vec<PackageId> = Vec::new();
    let mut files = Vec::new();
    let path = match (&opts.path, &opts.inline) {
        (Some(p), _) => Some(root.join(p)),
        (None, None) => Some(root.join("wit")),
        (None, Some(_)) => None,
    };
    if let Some(path) = path {
        let (pkg, sources) = resolve
            .push_path(&path)
            .map_err(|e| err(format!("failed to parse WIT at {}: {e:#}", path.display())))?;
        files.extend(sources.paths().map(|p| p.display().to_string()));
        packages.push(pkg);
    }
    if let Some(src) = &opts.inline {
        packages.push(
            resolve
                .push_str("inline.wit", src)
                .map_err(|e| err(format!("failed to parse inline WIT: {e:#}")))?,
        );
    }
    let world = resolve
        .select_world(&packages, opts.world.as_deref())
        .map_err(|e| err(format!("{e:#}")))?;
    // Every `with` key must name a resource of the resolved packages (a typo would
    // otherwise silently leave the resource unmapped).
    for key in opts.with.keys() {
        let known = resolve.interfaces.iter().any(|(_, iface)| {
            let Some(pkg) = iface.package else {
                return false;
            };
            let n = &resolve.packages[pkg].name;
            iface.types.iter().any(|(name, id)| {
                matches!(resolve.types[*id].kind, TypeDefKind::Resource)
                    && *key
                        == format!(
                            "{}:{}/{}.{}",
                            n.namespace,
                            n.name,
                            iface.name.as_deref().unwrap_or(""),
                            name
                        )
            })
        });
        if !known {
            return Err(err(format!(
                "`with` key `{key}` names no resource of the WIT"
            )));
        }
    }
    let mut gen = Gen::new(&resolve);
    gen.with = opts.with.clone();
    gen.trappable = opts.trappable;
    let mut out = gen.world(world)?;
    // Rebuild when a WIT file changes.
    for f in files {
        out.extend(quote!(
            const _: &str = include_str!(#f);
        ));
    }
    Ok(out)
}

/// Where an interface's Rust module is (path segments from the invocation's module) and
/// whether the world exports it.
#[derive(Clone)]
struct ModInfo {
    path: Vec<String>,
    exported: bool,
}

struct Gen<'r> {
    resolve: &'r Resolve,
    modules: HashMap<InterfaceId, ModInfo>,
    with: HashMap<String, syn::Path>,
    trappable: bool,
}

/// How a type is passed: owned (results, host parameters), or borrowed where it can be
/// (parameters of a call into a guest: `&str`, `&[T]`, `&Record`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Owned,
    Param,
}

const CR: &str = "::spindle::component";

fn cr() -> TokenStream {
    CR.parse().unwrap()
}

impl<'r> Gen<'r> {
    fn new(resolve: &'r Resolve) -> Self {
        Gen {
            resolve,
            modules: HashMap::new(),
            with: HashMap::new(),
            trappable: false,
        }
    }

    /// The module path of interface `id` named `key` in the world.
    fn module_path(&self, key: &WorldKey, exported: bool) -> Vec<String> {
        let mut path = Vec::new();
        if exported {
            path.push("exports".to_string());
        }
        match key {
            WorldKey::Name(n) => path.push(snake(n)),
            WorldKey::Interface(id) => {
                let iface = &self.resolve.interfaces[*id];
                if let Some(pkg) = iface.package {
                    let name = &self.resolve.packages[pkg].name;
                    path.push(snake(&name.namespace));
                    path.push(snake(&name.name));
                }
                path.push(snake(iface.name.as_deref().unwrap_or("interface")));
            }
        }
        path
    }

    /// The name instances of interface `key` have in a component.
    fn instance_name(&self, key: &WorldKey) -> String {
        self.resolve.name_world_key(key)
    }

    fn world(&mut self, world: wit_parser::WorldId) -> syn::Result<TokenStream> {
        let w = &self.resolve.worlds[world];
        for (key, item) in &w.imports {
            if let WorldItem::Interface { id, .. } = item {
                let path = self.module_path(key, false);
                self.modules.insert(
                    *id,
                    ModInfo {
                        path,
                        exported: false,
                    },
                );
            }
        }
        for (key, item) in &w.exports {
            if let WorldItem::Interface { id, .. } = item {
                let path = self.module_path(key, true);
                self.modules.insert(
                    *id,
                    ModInfo {
                        path,
                        exported: true,
                    },
                );
            }
        }

        let world_name = format_ident!("{}", camel(&w.name));
        let pre_name = format_ident!("{}Pre", camel(&w.name));
        let indices_name = format_ident!("{}Indices", camel(&w.name));
        let cr = cr();

        // Modules, nested by path.
        let mut tree = ModTree::default();
        let mut import_ifaces = Vec::new();
        for (key, item) in &w.imports {
            match item {
                WorldItem::Interface { id, .. } => {
                    let body = self.import_interface(key, *id)?;
                    let info = &self.modules[id];
                    tree.insert(&info.path, body);
                    import_ifaces.push(info.path.clone());
                }
                WorldItem::Function(_) => {}
                WorldItem::Type { .. } => {
                    return Err(err(
                        "bindgen!: types defined in a world are not supported yet",
                    ))
                }
            }
        }
        let mut export_fields = Vec::new();
        let mut export_index_fields = Vec::new();
        let mut export_accessors = Vec::new();
        let mut export_index_new = Vec::new();
        let mut export_load = Vec::new();
        let mut world_funcs = Vec::new();
        for (i, (key, item)) in w.exports.iter().enumerate() {
            match item {
                WorldItem::Interface { id, .. } => {
                    let body = self.export_interface(key, *id)?;
                    let info = self.modules[id].clone();
                    tree.insert(&info.path, body);
                    let field = format_ident!("interface{i}");
                    let path = mod_path(&info.path, 0);
                    export_fields.push(quote!(#field: #path::Guest));
                    export_index_fields.push(quote!(#field: #path::GuestIndices));
                    export_index_new
                        .push(quote!(let #field = #path::GuestIndices::new(_instance_pre)?;));
                    export_load.push(quote!(let #field = self.#field.load(&mut store, instance)?;));
                    let accessor = match key {
                        WorldKey::Name(n) => format_ident!("{}", snake(n)),
                        WorldKey::Interface(_) => {
                            format_ident!("{}", info.path[1..].join("_"))
                        }
                    };
                    export_accessors.push(quote! {
                        pub fn #accessor(&self) -> &#path::Guest {
                            &self.#field
                        }
                    });
                }
                WorldItem::Function(f) => world_funcs.push(f),
                WorldItem::Type { .. } => {
                    return Err(err(
                        "bindgen!: types defined in a world are not supported yet",
                    ))
                }
            }
        }
        // Functions the world exports directly: fields of the world's struct.
        let mut root_fields = Vec::new();
        let mut root_load = Vec::new();
        let mut root_calls = Vec::new();
        for f in &world_funcs {
            let field = format_ident!("func_{}", snake(&f.name));
            let (params, results) = self.func_types(f, 0);
            let wit = &f.name;
            root_fields.push(quote!(#field: #cr::Func));
            root_load.push(quote! {
                let #field = {
                    let index = instance.get_export_index(&mut store, None, #wit)
                        .ok_or_else(|| ::spindle::Error::msg(::std::format!("no exported function named `{}`", #wit)))?;
                    *instance.get_typed_func::<#params, #results>(&mut store, &index)?.func()
                };
            });
            root_calls.push(self.call_method(f, &snake(&f.name), quote!(self.#field), 0));
        }
        let root_field_names: Vec<_> = world_funcs
            .iter()
            .map(|f| format_ident!("func_{}", snake(&f.name)))
            .collect();

        // Functions the world imports directly: a `{World}Imports` trait.
        let import_funcs: Vec<&Function> = w
            .imports
            .values()
            .filter_map(|i| match i {
                WorldItem::Function(f) => Some(f),
                _ => None,
            })
            .collect();
        let imports_trait = format_ident!("{}Imports", camel(&w.name));
        let imports_with_store = format_ident!("{}ImportsWithStore", camel(&w.name));
        let mut root_imports = TokenStream::new();
        let mut add_bounds_d = Vec::new();
        let mut add_bounds_data = Vec::new();
        let mut add_calls = Vec::new();
        if !import_funcs.is_empty() {
            let sigs: Vec<_> = import_funcs
                .iter()
                .map(|f| self.host_sig(f, 0))
                .collect::<syn::Result<_>>()?;
            let forwards = import_funcs
                .iter()
                .map(|f| self.host_forward(f, &imports_trait, 0));
            let wraps = import_funcs
                .iter()
                .map(|f| self.func_wrap(f, &imports_trait, 0));
            root_imports = quote! {
                pub trait #imports_with_store<T>: #cr::HasData {}
                impl<H: ?Sized, T> #imports_with_store<T> for H where H: #cr::HasData {}
                pub trait #imports_trait { #(#sigs;)* }
                impl<_T: #imports_trait + ?Sized> #imports_trait for &mut _T { #(#forwards)* }
            };
            add_bounds_d.push(quote!(#imports_with_store<T>));
            add_bounds_data.push(quote!(#imports_trait));
            add_calls.push(quote! {
                let mut inst = linker.root();
                let inst = &mut inst;
                #(#wraps)*
            });
        }
        for path in &import_ifaces {
            let p = mod_path(path, 0);
            add_bounds_d.push(quote!(#p::HostWithStore<T>));
            add_bounds_data.push(quote!(#p::Host));
            add_calls.push(quote!(#p::add_to_linker::<T, D>(linker, host_getter)?;));
        }
        let add_to_linker = if add_bounds_d.is_empty() {
            quote!()
        } else {
            quote! {
                /// Adds every import of the world to `linker`, implemented by what
                /// `host_getter` returns from the store's data.
                pub fn add_to_linker<T, D>(
                    linker: &mut #cr::Linker<T>,
                    host_getter: fn(&mut T) -> D::Data<'_>,
                ) -> ::spindle::Result<()>
                where
                    D: #(#add_bounds_d)+*,
                    for<'a> D::Data<'a>: #(#add_bounds_data)+*,
                    T: 'static,
                {
                    #(#add_calls)*
                    Ok(())
                }
            }
        };
        let iface_fields: Vec<_> = w
            .exports
            .iter()
            .enumerate()
            .filter(|(_, (_, item))| matches!(item, WorldItem::Interface { .. }))
            .map(|(i, _)| format_ident!("interface{i}"))
            .collect();
        let modules = tree.tokens();

        Ok(quote! {
            /// The world's bindings before instantiation: a pre-linked component and the
            /// lookups of its exports.
            pub struct #pre_name<T: 'static> {
                instance_pre: #cr::InstancePre<T>,
                indices: #indices_name,
            }
            impl<T: 'static> Clone for #pre_name<T> {
                fn clone(&self) -> Self {
                    Self { instance_pre: self.instance_pre.clone(), indices: self.indices.clone() }
                }
            }
            impl<_T: 'static> #pre_name<_T> {
                pub fn new(instance_pre: #cr::InstancePre<_T>) -> ::spindle::Result<Self> {
                    let indices = #indices_name::new(&instance_pre)?;
                    Ok(Self { instance_pre, indices })
                }
                pub fn engine(&self) -> &::spindle::Engine {
                    self.instance_pre.engine()
                }
                pub fn instance_pre(&self) -> &#cr::InstancePre<_T> {
                    &self.instance_pre
                }
                /// A new instance in `store`, with its exports looked up.
                pub fn instantiate(
                    &self,
                    mut store: impl ::spindle::AsContextMut<Data = _T>,
                ) -> ::spindle::Result<#world_name> {
                    let mut store = store.as_context_mut();
                    let instance = self.instance_pre.instantiate(&mut store)?;
                    self.indices.load(&mut store, &instance)
                }
            }

            /// Where the world's exports are in an instance.
            #[derive(Clone)]
            pub struct #indices_name {
                #(#export_index_fields,)*
            }

            /// An instance of a component of the world, with its exports typed.
            pub struct #world_name {
                #(#export_fields,)*
                #(#root_fields,)*
            }

            #root_imports

            const _: () = {
                impl #indices_name {
                    pub fn new<_T: 'static>(
                        _instance_pre: &#cr::InstancePre<_T>,
                    ) -> ::spindle::Result<Self> {
                        #(#export_index_new)*
                        Ok(#indices_name { #(#iface_fields),* })
                    }

                    /// The exports of `instance`, looked up and type-checked.
                    pub fn load(
                        &self,
                        mut store: impl ::spindle::AsContextMut,
                        instance: &#cr::Instance,
                    ) -> ::spindle::Result<#world_name> {
                        let mut store = store.as_context_mut();
                        let _ = &mut store;
                        #(#export_load)*
                        #(#root_load)*
                        Ok(#world_name { #(#iface_fields,)* #(#root_field_names,)* })
                    }
                }

                impl #world_name {
                    /// Instantiates `component` in `store` with `linker`'s definitions.
                    pub fn instantiate<_T: 'static>(
                        store: impl ::spindle::AsContextMut<Data = _T>,
                        component: &#cr::Component,
                        linker: &#cr::Linker<_T>,
                    ) -> ::spindle::Result<#world_name> {
                        let pre = linker.instantiate_pre(component)?;
                        #pre_name::new(pre)?.instantiate(store)
                    }

                    /// The bindings of an instance made otherwise.
                    pub fn new(
                        mut store: impl ::spindle::AsContextMut,
                        instance: &#cr::Instance,
                    ) -> ::spindle::Result<#world_name> {
                        let indices = #indices_name { #( #iface_fields: Default::default() ),* };
                        indices.load(&mut store, instance)
                    }

                    #add_to_linker
                    #(#export_accessors)*
                    #(#root_calls)*
                }
            };

            #modules
        })
    }

    // ---- Types ----

    /// Follows `type a = b` aliases (and `use`s) to the definition.
    fn dealias(&self, mut id: TypeId) -> TypeId {
        while let TypeDefKind::Type(Type::Id(next)) = self.resolve.types[id].kind {
            id = next;
        }
        id
    }

    /// The path of named type `id` seen from a module `depth` levels below the root.
    fn type_path(&self, id: TypeId, depth: usize) -> syn::Result<TokenStream> {
        let def = &self.resolve.types[id];
        let name = def
            .name
            .as_ref()
            .ok_or_else(|| err("bindgen!: an anonymous type has no path"))?;
        let module = match def.owner {
            TypeOwner::Interface(i) => self
                .modules
                .get(&i)
                .ok_or_else(|| {
                    err(format!(
                        "bindgen!: type `{name}` of an interface outside the world"
                    ))
                })?
                .path
                .clone(),
            _ => Vec::new(),
        };
        let m = mod_path(&module, depth);
        let n = format_ident!("{}", camel(name));
        Ok(quote!(#m::#n))
    }

    /// Whether values of `ty` are plain data (the generated type derives `Copy`).
    fn is_copy(&self, ty: &Type) -> bool {
        match ty {
            Type::String | Type::ErrorContext => false,
            Type::Id(id) => match &self.resolve.types[*id].kind {
                TypeDefKind::Record(r) => r.fields.iter().all(|f| self.is_copy(&f.ty)),
                TypeDefKind::Variant(v) => v
                    .cases
                    .iter()
                    .all(|c| c.ty.as_ref().is_none_or(|t| self.is_copy(t))),
                TypeDefKind::Tuple(t) => t.types.iter().all(|t| self.is_copy(t)),
                TypeDefKind::Option(t) => self.is_copy(t),
                TypeDefKind::Result(r) => {
                    r.ok.as_ref().is_none_or(|t| self.is_copy(t))
                        && r.err.as_ref().is_none_or(|t| self.is_copy(t))
                }
                TypeDefKind::Enum(_) | TypeDefKind::Flags(_) => true,
                TypeDefKind::Type(t) => self.is_copy(t),
                _ => false,
            },
            _ => true,
        }
    }

    /// The resource a handle refers to: `Resource<R>` for a host's, `ResourceAny` for a
    /// guest's (a resource of an exported interface).
    fn handle_type(&self, resource: TypeId, depth: usize) -> syn::Result<TokenStream> {
        let resource = self.dealias(resource);
        let cr = cr();
        let exported = match self.resources_owner(resource) {
            Some(i) => self.modules.get(&i).is_some_and(|m| m.exported),
            None => false,
        };
        if exported {
            Ok(quote!(#cr::ResourceAny))
        } else {
            let p = self.type_path(resource, depth)?;
            Ok(quote!(#cr::Resource<#p>))
        }
    }

    fn resources_owner(&self, id: TypeId) -> Option<InterfaceId> {
        match self.resolve.types[id].owner {
            TypeOwner::Interface(i) => Some(i),
            _ => None,
        }
    }

    /// The Rust type of `ty`, used in a module `depth` levels below the root.
    fn rust_type(&self, ty: &Type, mode: Mode, depth: usize) -> syn::Result<TokenStream> {
        let cr = cr();
        Ok(match ty {
            Type::Bool => quote!(bool),
            Type::U8 => quote!(u8),
            Type::U16 => quote!(u16),
            Type::U32 => quote!(u32),
            Type::U64 => quote!(u64),
            Type::S8 => quote!(i8),
            Type::S16 => quote!(i16),
            Type::S32 => quote!(i32),
            Type::S64 => quote!(i64),
            Type::F32 => quote!(f32),
            Type::F64 => quote!(f64),
            Type::Char => quote!(char),
            Type::String => match mode {
                Mode::Param => quote!(&str),
                Mode::Owned => quote!(#cr::__internal::String),
            },
            Type::ErrorContext => return Err(err("bindgen!: error-context is not supported")),
            Type::Id(id) => {
                let def = &self.resolve.types[*id];
                if def.name.is_some() {
                    if let TypeDefKind::Resource = def.kind {
                        return Err(err("bindgen!: a resource type used without own/borrow"));
                    }
                    let p = self.type_path(*id, depth)?;
                    if mode == Mode::Param && !self.is_copy(ty) && !self.is_handle(*id) {
                        return Ok(quote!(&#p));
                    }
                    return Ok(p);
                }
                self.kind_type(&def.kind, mode, depth)?
            }
        })
    }

    /// The Rust type of a structurally anonymous type of kind `kind` (a list, option,
    /// result, tuple, handle, alias), used in a module `depth` levels below the root.
    fn kind_type(&self, kind: &TypeDefKind, mode: Mode, depth: usize) -> syn::Result<TokenStream> {
        let cr = cr();
        Ok(match kind {
            TypeDefKind::List(t) | TypeDefKind::FixedLengthList(t, _) => {
                let t = self.rust_type(t, Mode::Owned, depth)?;
                match mode {
                    Mode::Param => quote!(&[#t]),
                    Mode::Owned => quote!(#cr::__internal::Vec<#t>),
                }
            }
            TypeDefKind::Map(k, v) => {
                let k = self.rust_type(k, Mode::Owned, depth)?;
                let v = self.rust_type(v, Mode::Owned, depth)?;
                match mode {
                    Mode::Param => quote!(&[(#k, #v)]),
                    Mode::Owned => quote!(#cr::__internal::Vec<(#k, #v)>),
                }
            }
            TypeDefKind::Option(t) => {
                let t = self.rust_type(t, mode, depth)?;
                quote!(Option<#t>)
            }
            TypeDefKind::Result(r) => {
                let ok = match &r.ok {
                    Some(t) => self.rust_type(t, mode, depth)?,
                    None => quote!(()),
                };
                let e = match &r.err {
                    Some(t) => self.rust_type(t, mode, depth)?,
                    None => quote!(()),
                };
                quote!(Result<#ok, #e>)
            }
            TypeDefKind::Tuple(t) => {
                let ts = t
                    .types
                    .iter()
                    .map(|t| self.rust_type(t, mode, depth))
                    .collect::<syn::Result<Vec<_>>>()?;
                quote!((#(#ts,)*))
            }
            TypeDefKind::Handle(Handle::Own(r) | Handle::Borrow(r)) => {
                self.handle_type(*r, depth)?
            }
            TypeDefKind::Type(t) => self.rust_type(t, mode, depth)?,
            TypeDefKind::Future(_) | TypeDefKind::Stream(_) => {
                return Err(err(
                    "bindgen!: future and stream types are not supported (component-model async)",
                ))
            }
            _ => {
                return Err(err(
                    "bindgen!: an anonymous type of this kind is not supported",
                ))
            }
        })
    }

    fn is_handle(&self, id: TypeId) -> bool {
        matches!(
            self.resolve.types[self.dealias(id)].kind,
            TypeDefKind::Handle(_) | TypeDefKind::Resource
        )
    }

    /// The definitions of interface `iface`'s types, in its module (`depth` deep).
    fn type_defs(
        &self,
        iface: InterfaceId,
        depth: usize,
        exported: bool,
    ) -> syn::Result<TokenStream> {
        let cr = cr();
        let mut out = TokenStream::new();
        for (name, id) in &self.resolve.interfaces[iface].types {
            let def = &self.resolve.types[*id];
            let rname = format_ident!("{}", camel(name));
            let copy = if self.is_copy(&Type::Id(*id)) {
                quote!(, Copy)
            } else {
                quote!()
            };
            let tokens = match &def.kind {
                TypeDefKind::Record(r) => {
                    let fields = r
                        .fields
                        .iter()
                        .map(|f| {
                            let n = &f.name;
                            let id = format_ident!("{}", snake(n));
                            let t = self.rust_type(&f.ty, Mode::Owned, depth)?;
                            Ok(quote!(#[component(name = #n)] pub #id: #t))
                        })
                        .collect::<syn::Result<Vec<_>>>()?;
                    quote! {
                        #[derive(#cr::ComponentType, #cr::Lift, #cr::Lower)]
                        #[component(record)]
                        #[derive(Clone, Debug #copy)]
                        pub struct #rname { #(#fields,)* }
                    }
                }
                TypeDefKind::Variant(v) => {
                    let cases = v
                        .cases
                        .iter()
                        .map(|c| {
                            let n = &c.name;
                            let id = format_ident!("{}", camel(n));
                            Ok(match &c.ty {
                                Some(t) => {
                                    let t = self.rust_type(t, Mode::Owned, depth)?;
                                    quote!(#[component(name = #n)] #id(#t))
                                }
                                None => quote!(#[component(name = #n)] #id),
                            })
                        })
                        .collect::<syn::Result<Vec<_>>>()?;
                    quote! {
                        #[derive(#cr::ComponentType, #cr::Lift, #cr::Lower)]
                        #[component(variant)]
                        #[derive(Clone, Debug #copy)]
                        pub enum #rname { #(#cases,)* }
                    }
                }
                TypeDefKind::Enum(e) => {
                    let cases = e.cases.iter().map(|c| {
                        let n = &c.name;
                        let id = format_ident!("{}", camel(n));
                        quote!(#[component(name = #n)] #id)
                    });
                    quote! {
                        #[derive(#cr::ComponentType, #cr::Lift, #cr::Lower)]
                        #[component(enum)]
                        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
                        pub enum #rname { #(#cases,)* }
                    }
                }
                TypeDefKind::Flags(f) => {
                    let flags = f.flags.iter().map(|fl| {
                        let n = &fl.name;
                        let id = format_ident!("{}", shouty(n));
                        quote!(#[component(name = #n)] const #id;)
                    });
                    quote!(#cr::flags!(#rname { #(#flags)* });)
                }
                TypeDefKind::Resource => {
                    let iface_def = &self.resolve.interfaces[iface];
                    let key = iface_def.package.map(|p| {
                        let n = &self.resolve.packages[p].name;
                        format!(
                            "{}:{}/{}.{}",
                            n.namespace,
                            n.name,
                            iface_def.name.as_deref().unwrap_or(""),
                            name
                        )
                    });
                    if exported {
                        quote!(pub type #rname = #cr::ResourceAny;)
                    } else if let Some(path) = key.and_then(|k| self.with.get(&k)) {
                        quote!(pub type #rname = #path;)
                    } else {
                        quote! {
                            /// The host's resource type (its values are the host's, found by
                            /// the representation in a [`Resource`](spindle::component::Resource)).
                            #[derive(Debug)]
                            pub enum #rname {}
                        }
                    }
                }
                TypeDefKind::Type(Type::Id(other))
                    if matches!(
                        self.resolve.types[self.dealias(*other)].kind,
                        TypeDefKind::Resource
                    ) =>
                {
                    if exported {
                        quote!(pub type #rname = #cr::ResourceAny;)
                    } else {
                        let p = self.type_path(self.dealias(*other), depth)?;
                        quote!(pub type #rname = #p;)
                    }
                }
                _ => {
                    // Aliases, `use`d types and named anonymous types.
                    let t = match &def.kind {
                        TypeDefKind::Type(t) => self.rust_type(t, Mode::Owned, depth)?,
                        kind => self.kind_type(kind, Mode::Owned, depth)?,
                    };
                    quote!(pub type #rname = #t;)
                }
            };
            out.extend(tokens);
        }
        Ok(out)
    }

    // ---- Functions ----

    /// The Rust name of function `f` in its trait or `Guest` (`new` for a constructor,
    /// the method's own name for methods and static functions).
    fn func_name(f: &Function) -> String {
        match f.kind {
            FunctionKind::Constructor(_) => "new".to_string(),
            FunctionKind::Method(_) | FunctionKind::Static(_) => {
                snake(f.name.rsplit('.').next().unwrap_or(&f.name))
            }
            _ => snake(&f.name),
        }
    }

    /// The resource a method, static function or constructor belongs to.
    fn func_resource(f: &Function) -> Option<TypeId> {
        match f.kind {
            FunctionKind::Constructor(r) | FunctionKind::Method(r) | FunctionKind::Static(r) => {
                Some(r)
            }
            _ => None,
        }
    }

    fn check_sync(f: &Function) -> syn::Result<()> {
        match f.kind {
            FunctionKind::Freestanding
            | FunctionKind::Constructor(_)
            | FunctionKind::Method(_)
            | FunctionKind::Static(_) => Ok(()),
            _ => Err(err(format!(
                "bindgen!: function `{}`: async functions and accessors are not supported",
                f.name
            ))),
        }
    }

    fn param_name(name: &str) -> proc_macro2::Ident {
        if name == "self" {
            ident("self_")
        } else {
            format_ident!("{}", snake(name))
        }
    }

    /// `fn name(&mut self, params...) -> result` of a host trait.
    fn host_sig(&self, f: &Function, depth: usize) -> syn::Result<TokenStream> {
        Self::check_sync(f)?;
        let name = format_ident!("{}", Self::func_name(f));
        let params = f
            .params
            .iter()
            .map(|p| {
                let n = Self::param_name(&p.name);
                let t = self.rust_type(&p.ty, Mode::Owned, depth)?;
                Ok(quote!(#n: #t))
            })
            .collect::<syn::Result<Vec<_>>>()?;
        let mut result = match &f.result {
            Some(t) => self.rust_type(t, Mode::Owned, depth)?,
            None => quote!(()),
        };
        if self.trappable {
            result = quote!(::spindle::Result<#result>);
        }
        Ok(quote!(fn #name(&mut self, #(#params),*) -> #result))
    }

    /// The forwarding method of `impl Trait for &mut T`.
    fn host_forward(&self, f: &Function, tr: &proc_macro2::Ident, depth: usize) -> TokenStream {
        let sig = self.host_sig(f, depth).unwrap_or_default();
        let name = format_ident!("{}", Self::func_name(f));
        let args = f.params.iter().map(|p| Self::param_name(&p.name));
        quote!(#sig { #tr::#name(*self, #(#args),*) })
    }

    /// `inst.func_wrap(name, ...)` calling trait `tr`'s method for `f`.
    fn func_wrap(&self, f: &Function, tr: &proc_macro2::Ident, depth: usize) -> TokenStream {
        let wit = &f.name;
        let name = format_ident!("{}", Self::func_name(f));
        let args: Vec<_> = (0..f.params.len())
            .map(|i| format_ident!("arg{i}"))
            .collect();
        let tys: Vec<_> = f
            .params
            .iter()
            .map(|p| {
                self.rust_type(&p.ty, Mode::Owned, depth)
                    .unwrap_or_default()
            })
            .collect();
        let q = if self.trappable { quote!(?) } else { quote!() };
        let ret = if f.result.is_some() {
            quote!(Ok((r,)))
        } else {
            quote!(Ok(r))
        };
        quote! {
            inst.func_wrap(
                #wit,
                move |mut caller: ::spindle::StoreContextMut<'_, T>, (#(#args,)*): (#(#tys,)*)| {
                    let host = &mut host_getter(caller.data_mut());
                    let r = #tr::#name(host, #(#args),*) #q;
                    #ret
                },
            )?;
        }
    }

    /// The parameter and result tuples of a call into the guest.
    fn func_types(&self, f: &Function, depth: usize) -> (TokenStream, TokenStream) {
        let params: Vec<_> = f
            .params
            .iter()
            .map(|p| {
                self.rust_type(&p.ty, Mode::Param, depth)
                    .unwrap_or_default()
            })
            .collect();
        let results = match &f.result {
            Some(t) => {
                let t = self.rust_type(t, Mode::Owned, depth).unwrap_or_default();
                quote!((#t,))
            }
            None => quote!(()),
        };
        (quote!((#(#params,)*)), results)
    }

    /// `func_NAME` and `call_NAME` for the exported function `f` stored at `func`.
    fn call_method(
        &self,
        f: &Function,
        rust: &str,
        func: TokenStream,
        depth: usize,
    ) -> TokenStream {
        let cr = cr();
        let (params, results) = self.func_types(f, depth);
        let func_name = format_ident!("func_{}", rust);
        let call_name = format_ident!("call_{}", rust);
        let args: Vec<_> = (0..f.params.len())
            .map(|i| format_ident!("arg{i}"))
            .collect();
        let arg_tys: Vec<_> = f
            .params
            .iter()
            .map(|p| {
                self.rust_type(&p.ty, Mode::Param, depth)
                    .unwrap_or_default()
            })
            .collect();
        let (ret_ty, ret) = match &f.result {
            Some(t) => (
                self.rust_type(t, Mode::Owned, depth).unwrap_or_default(),
                quote!(ret0),
            ),
            None => (quote!(()), quote!(())),
        };
        let destructure = if f.result.is_some() {
            quote!((ret0,))
        } else {
            quote!(())
        };
        quote! {
            pub fn #func_name(&self) -> #cr::TypedFunc<#params, #results> {
                #cr::TypedFunc::new_unchecked(#func)
            }
            pub fn #call_name<S: ::spindle::AsContextMut>(
                &self,
                mut store: S,
                #(#args: #arg_tys),*
            ) -> ::spindle::Result<#ret_ty> {
                let callee = #cr::TypedFunc::<#params, #results>::new_unchecked(#func);
                let #destructure = callee.call(store.as_context_mut(), (#(#args,)*))?;
                Ok(#ret)
            }
        }
    }

    // ---- Interfaces ----

    fn import_interface(&self, key: &WorldKey, id: InterfaceId) -> syn::Result<TokenStream> {
        let cr = cr();
        let info = &self.modules[&id];
        let depth = info.path.len();
        let iface = &self.resolve.interfaces[id];
        let types = self.type_defs(id, depth, false)?;
        let instance = self.instance_name(key);

        // Resources, each with its trait.
        let mut resource_traits = TokenStream::new();
        let mut with_store = Vec::new();
        let mut supers = Vec::new();
        let mut wraps = Vec::new();
        for (name, tid) in &iface.types {
            if !matches!(self.resolve.types[*tid].kind, TypeDefKind::Resource) {
                continue;
            }
            let rname = format_ident!("{}", camel(name));
            let tr = format_ident!("Host{}", camel(name));
            let tr_ws = format_ident!("Host{}WithStore", camel(name));
            let funcs: Vec<&Function> = iface
                .functions
                .values()
                .filter(|f| Self::func_resource(f) == Some(*tid))
                .collect();
            let sigs = funcs
                .iter()
                .map(|f| self.host_sig(f, depth))
                .collect::<syn::Result<Vec<_>>>()?;
            let forwards = funcs.iter().map(|f| self.host_forward(f, &tr, depth));
            resource_traits.extend(quote! {
                pub trait #tr_ws<T>: #cr::HasData {}
                impl<H: ?Sized, T> #tr_ws<T> for H where H: #cr::HasData {}
                pub trait #tr {
                    #(#sigs;)*
                    /// The guest dropped its last handle of `rep`.
                    fn drop(&mut self, rep: #cr::Resource<#rname>) -> ::spindle::Result<()>;
                }
                impl<_T: #tr + ?Sized> #tr for &mut _T {
                    #(#forwards)*
                    fn drop(&mut self, rep: #cr::Resource<#rname>) -> ::spindle::Result<()> {
                        #tr::drop(*self, rep)
                    }
                }
            });
            with_store.push(quote!(#tr_ws<T>));
            supers.push(quote!(#tr));
            let wit = name.as_str();
            wraps.push(quote! {
                inst.resource(
                    #wit,
                    #cr::ResourceType::host::<#rname>(),
                    move |mut store: ::spindle::StoreContextMut<'_, T>, rep: u32| -> ::spindle::Result<()> {
                        #tr::drop(&mut host_getter(store.data_mut()), #cr::Resource::new_own(rep))
                    },
                )?;
            });
            for f in &funcs {
                wraps.push(self.func_wrap(f, &tr, depth));
            }
        }
        let free: Vec<&Function> = iface
            .functions
            .values()
            .filter(|f| Self::func_resource(f).is_none())
            .collect();
        let sigs = free
            .iter()
            .map(|f| self.host_sig(f, depth))
            .collect::<syn::Result<Vec<_>>>()?;
        let host = ident("Host");
        let forwards = free.iter().map(|f| self.host_forward(f, &host, depth));
        for f in &free {
            wraps.push(self.func_wrap(f, &host, depth));
        }
        let supers = if supers.is_empty() {
            quote!()
        } else {
            quote!(: #(#supers)+*)
        };
        Ok(quote! {
            #[allow(unused_imports, clippy::all)]
            use #cr::__internal::Box;
            #types
            #resource_traits
            pub trait HostWithStore<T>: #cr::HasData #(+ #with_store)* {}
            impl<H: ?Sized, T> HostWithStore<T> for H where H: #cr::HasData #(+ #with_store)* {}
            pub trait Host #supers {
                #(#sigs;)*
            }
            impl<_T: Host + ?Sized> Host for &mut _T {
                #(#forwards)*
            }

            /// Defines the interface's functions and resources in `inst`.
            #[allow(unused_variables)]
            pub fn add_to_linker_instance<T, D>(
                inst: &mut #cr::LinkerInstance<'_, T>,
                host_getter: fn(&mut T) -> D::Data<'_>,
            ) -> ::spindle::Result<()>
            where
                D: HostWithStore<T>,
                for<'a> D::Data<'a>: Host,
                T: 'static,
            {
                #(#wraps)*
                Ok(())
            }

            /// Defines the interface (instance `#instance`) in `linker`.
            pub fn add_to_linker<T, D>(
                linker: &mut #cr::Linker<T>,
                host_getter: fn(&mut T) -> D::Data<'_>,
            ) -> ::spindle::Result<()>
            where
                D: HostWithStore<T>,
                for<'a> D::Data<'a>: Host,
                T: 'static,
            {
                let mut inst = linker.instance(#instance)?;
                add_to_linker_instance::<T, D>(&mut inst, host_getter)
            }
        })
    }

    fn export_interface(&self, key: &WorldKey, id: InterfaceId) -> syn::Result<TokenStream> {
        let cr = cr();
        let info = &self.modules[&id];
        let depth = info.path.len();
        let iface = &self.resolve.interfaces[id];
        let types = self.type_defs(id, depth, true)?;
        let instance = self.instance_name(key);
        for f in iface.functions.values() {
            Self::check_sync(f)?;
        }
        let fields: Vec<_> = iface
            .functions
            .keys()
            .map(|n| format_ident!("{}", field_name(n)))
            .collect();
        let loads = iface.functions.values().map(|f| {
            let field = format_ident!("{}", field_name(&f.name));
            let wit = &f.name;
            let (params, results) = self.func_types(f, depth);
            quote! {
                let #field = {
                    let index = instance.get_export_index(&mut store, Some(&iface), #wit).ok_or_else(|| {
                        ::spindle::Error::msg(::std::format!(
                            "instance export `{}` does not have export `{}`", #instance, #wit))
                    })?;
                    *instance.get_typed_func::<#params, #results>(&mut store, &index)?.func()
                };
            }
        });
        let free_calls = iface
            .functions
            .values()
            .filter(|f| Self::func_resource(f).is_none())
            .map(|f| {
                let field = format_ident!("{}", field_name(&f.name));
                self.call_method(f, &Self::func_name(f), quote!(self.#field), depth)
            });
        let mut resource_guests = TokenStream::new();
        let mut accessors = Vec::new();
        for (name, tid) in &iface.types {
            if !matches!(self.resolve.types[*tid].kind, TypeDefKind::Resource) {
                continue;
            }
            let g = format_ident!("Guest{}", camel(name));
            let acc = format_ident!("{}", snake(name));
            let calls = iface
                .functions
                .values()
                .filter(|f| Self::func_resource(f) == Some(*tid))
                .map(|f| {
                    let field = format_ident!("{}", field_name(&f.name));
                    let rust = match f.kind {
                        FunctionKind::Constructor(_) => "constructor".to_string(),
                        _ => Self::func_name(f),
                    };
                    self.call_method(f, &rust, quote!(self.funcs.#field), depth)
                });
            resource_guests.extend(quote! {
                pub struct #g<'a> {
                    funcs: &'a Guest,
                }
                impl #g<'_> {
                    #(#calls)*
                }
            });
            accessors.push(quote! {
                pub fn #acc(&self) -> #g<'_> {
                    #g { funcs: self }
                }
            });
        }
        Ok(quote! {
            #[allow(unused_imports, clippy::all)]
            use #cr::__internal::Box;
            #types

            /// The interface's functions in an instance.
            #[derive(Clone)]
            pub struct Guest {
                #(#fields: #cr::Func,)*
            }

            /// Where the interface is among a component's exports (`#instance`).
            #[derive(Clone, Default)]
            pub struct GuestIndices {
                _private: (),
            }

            impl GuestIndices {
                pub fn new<_T: 'static>(
                    _instance_pre: &#cr::InstancePre<_T>,
                ) -> ::spindle::Result<GuestIndices> {
                    Ok(GuestIndices { _private: () })
                }

                /// The interface's functions in `instance`, looked up and type-checked.
                pub fn load(
                    &self,
                    mut store: impl ::spindle::AsContextMut,
                    instance: &#cr::Instance,
                ) -> ::spindle::Result<Guest> {
                    let mut store = store.as_context_mut();
                    let iface = instance.get_export_index(&mut store, None, #instance)
                        .ok_or_else(|| ::spindle::Error::msg(::std::format!(
                            "no exported instance named `{}`", #instance)))?;
                    let _ = &iface;
                    #(#loads)*
                    Ok(Guest { #(#fields),* })
                }
            }

            impl Guest {
                #(#free_calls)*
                #(#accessors)*
            }
            #resource_guests
        })
    }
}

/// A field name for function `name` (`[method]r.m` → `method_r_m`).
fn field_name(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        match c {
            '[' => {}
            ']' | '.' | '-' => s.push('_'),
            c => s.push(c),
        }
    }
    snake(&s)
}

/// `super::super::a::b`: module `path` seen from `depth` levels below the root.
fn mod_path(path: &[String], depth: usize) -> TokenStream {
    let mut parts: Vec<TokenStream> = Vec::new();
    if depth == 0 {
        parts.push(quote!(self));
    }
    for _ in 0..depth {
        parts.push(quote!(super));
    }
    for p in path {
        let id = format_ident!("{}", p);
        parts.push(quote!(#id));
    }
    quote!(#(#parts)::*)
}

/// Modules to generate, nested.
#[derive(Default)]
struct ModTree {
    body: TokenStream,
    children: Vec<(String, ModTree)>,
}

impl ModTree {
    fn insert(&mut self, path: &[String], body: TokenStream) {
        match path.split_first() {
            None => self.body.extend(body),
            Some((first, rest)) => {
                let child = match self.children.iter().position(|(n, _)| n == first) {
                    Some(i) => &mut self.children[i].1,
                    None => {
                        self.children.push((first.clone(), ModTree::default()));
                        &mut self.children.last_mut().unwrap().1
                    }
                };
                child.insert(rest, body);
            }
        }
    }

    fn tokens(&self) -> TokenStream {
        let mut out = self.body.clone();
        for (name, child) in &self.children {
            let id = format_ident!("{}", name);
            let inner = child.tokens();
            out.extend(quote! {
                #[allow(clippy::all, unused_imports)]
                pub mod #id { #inner }
            });
        }
        out
    }
}
