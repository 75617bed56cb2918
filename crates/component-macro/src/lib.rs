//! The macros of `spindle::component`, in wasmtime's shapes:
//!
//! - `#[derive(ComponentType, Lift, Lower)]` with `#[component(record)]`,
//!   `#[component(variant)]` or `#[component(enum)]` (and `#[component(name = "...")]` on
//!   fields and cases): a Rust struct or enum as a component record, variant or enum;
//! - `flags!`: a flags type;
//! - `bindgen!`: typed host bindings of a WIT world (parsed with `wit-parser`): Rust types
//!   for its types, a `Host` trait and `add_to_linker` per imported interface, and a
//!   struct per world with `instantiate` and a `call_*` method per exported function.
//!
//! The generated code names `::spindle::component` paths; the derives' traits do the
//! work through the dynamic `Val` (see `spindle::component::typed`).

use proc_macro::TokenStream;

mod bindgen;
mod derive;
mod names;

/// `#[derive(ComponentType)]`: the component type check of a record, variant or enum.
#[proc_macro_derive(ComponentType, attributes(component))]
pub fn derive_component_type(input: TokenStream) -> TokenStream {
    derive::expand(input.into(), derive::Which::ComponentType)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// `#[derive(Lift)]`: a record, variant or enum received from a component.
#[proc_macro_derive(Lift, attributes(component))]
pub fn derive_lift(input: TokenStream) -> TokenStream {
    derive::expand(input.into(), derive::Which::Lift)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// `#[derive(Lower)]`: a record, variant or enum passed to a component.
#[proc_macro_derive(Lower, attributes(component))]
pub fn derive_lower(input: TokenStream) -> TokenStream {
    derive::expand(input.into(), derive::Which::Lower)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// `flags! { Name { #[component(name = "label")] const LABEL; ... } ... }`: a flags type
/// (a `Copy` set of bits with the usual operators) with its component traits.
#[proc_macro]
pub fn flags(input: TokenStream) -> TokenStream {
    derive::flags(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// `bindgen!("world" in "path")`, `bindgen!({ world: "w", path: "p", inline: "..." })`:
/// typed host bindings of a WIT world (see the crate documentation).
#[proc_macro]
pub fn bindgen(input: TokenStream) -> TokenStream {
    bindgen::expand(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
