//! The derives (`ComponentType`, `Lift`, `Lower`) and `flags!`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Data, DeriveInput, Fields, Ident, LitStr, Token};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Which {
    ComponentType,
    Lift,
    Lower,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Record,
    Variant,
    Enum,
}

/// The `#[component(...)]` attributes of an item: its kind, and a `name = "..."`.
fn component_attrs(attrs: &[Attribute]) -> syn::Result<(Option<Kind>, Option<String>)> {
    let mut kind = None;
    let mut name = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("component")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("record") {
                kind = Some(Kind::Record);
            } else if meta.path.is_ident("variant") {
                kind = Some(Kind::Variant);
            } else if meta.path.is_ident("enum") {
                kind = Some(Kind::Enum);
            } else if meta.path.is_ident("name") {
                name = Some(meta.value()?.parse::<LitStr>()?.value());
            } else {
                return Err(meta.error("expected `record`, `variant`, `enum` or `name = \"...\"`"));
            }
            Ok(())
        })?;
    }
    Ok((kind, name))
}

/// The component name of a field or case: its `#[component(name)]`, or its Rust name in
/// kebab case.
fn wit_name(attrs: &[Attribute], ident: &Ident) -> syn::Result<String> {
    Ok(component_attrs(attrs)?.1.unwrap_or_else(|| {
        ident
            .to_string()
            .trim_start_matches("r#")
            .replace('_', "-")
            .to_lowercase()
    }))
}

pub fn expand(input: TokenStream, which: Which) -> syn::Result<TokenStream> {
    let input: DeriveInput = syn::parse2(input)?;
    let (kind, _) = component_attrs(&input.attrs)?;
    let name = &input.ident;
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "component types with generic parameters are not supported",
        ));
    }
    let cr = quote!(::spindle::component);
    let kind = kind.ok_or_else(|| {
        syn::Error::new_spanned(
            name,
            "add `#[component(record)]`, `#[component(variant)]` or `#[component(enum)]`",
        )
    })?;
    let body = match (kind, &input.data) {
        (Kind::Record, Data::Struct(s)) => {
            let Fields::Named(fields) = &s.fields else {
                return Err(syn::Error::new_spanned(
                    name,
                    "a record is a struct with named fields",
                ));
            };
            let idents: Vec<&Ident> = fields
                .named
                .iter()
                .map(|f| f.ident.as_ref().unwrap())
                .collect();
            let tys: Vec<&syn::Type> = fields.named.iter().map(|f| &f.ty).collect();
            let names = fields
                .named
                .iter()
                .map(|f| wit_name(&f.attrs, f.ident.as_ref().unwrap()))
                .collect::<syn::Result<Vec<_>>>()?;
            let indices = 0..idents.len();
            let count = idents.len();
            match which {
                Which::ComponentType => quote! {
                    impl #cr::ComponentType for #name {
                        fn typecheck(ty: &#cr::Type) -> bool {
                            #cr::__internal::typecheck_record(ty, &[
                                #( (#names, <#tys as #cr::ComponentType>::typecheck) ),*
                            ])
                        }
                    }
                },
                Which::Lower => {
                    let indices2 = indices.clone();
                    let indices3 = indices.clone();
                    quote! {
                        impl #cr::Lower for #name {
                            fn to_val(&self) -> #cr::Val {
                                #cr::Val::Record(::std::vec![
                                    #( (::std::string::String::from(#names), #cr::Lower::to_val(&self.#idents)) ),*
                                ])
                            }
                            fn lower_flat(
                                &self,
                                cx: &mut #cr::__internal::AbiCx<'_>,
                                ty: &#cr::Type,
                                out: &mut ::std::vec::Vec<#cr::__internal::CoreVal>,
                            ) -> ::core::result::Result<(), #cr::__internal::AbiTrap> {
                                let fields = #cr::__internal::record_fields(ty, #count)?;
                                #( #cr::Lower::lower_flat(&self.#idents, cx, &fields[#indices2].ty, out)?; )*
                                Ok(())
                            }
                            fn store(
                                &self,
                                cx: &mut #cr::__internal::AbiCx<'_>,
                                ty: &#cr::Type,
                                ptr: u32,
                            ) -> ::core::result::Result<(), #cr::__internal::AbiTrap> {
                                let fields = #cr::__internal::record_fields(ty, #count)?;
                                let offsets = &ty.layout().field_offsets;
                                #( #cr::Lower::store(&self.#idents, cx, &fields[#indices3].ty, ptr + offsets[#indices3])?; )*
                                Ok(())
                            }
                        }
                    }
                }
                Which::Lift => {
                    let indices2 = indices.clone();
                    let indices3 = indices.clone();
                    quote! {
                        impl #cr::Lift for #name {
                            fn from_val(v: #cr::Val, ty: &#cr::Type) -> ::spindle::Result<Self> {
                                match v {
                                    #cr::Val::Record(mut fields) => Ok(#name {
                                        #( #idents: #cr::__internal::lift_field::<#tys>(&mut fields, ty, #indices)? ),*
                                    }),
                                    other => Err(::spindle::Error::msg(::std::format!(
                                        "component value {other:?} is not a record"))),
                                }
                            }
                            fn lift_flat(
                                cx: &mut #cr::__internal::AbiCx<'_>,
                                ty: &#cr::Type,
                                src: &mut #cr::__internal::FlatIter<'_>,
                            ) -> ::spindle::Result<Self> {
                                let fields = #cr::__internal::record_fields(ty, #count)
                                    .map_err(#cr::__internal::abi_trap)?;
                                Ok(#name {
                                    #( #idents: <#tys as #cr::Lift>::lift_flat(cx, &fields[#indices2].ty, src)? ),*
                                })
                            }
                            fn load(
                                cx: &mut #cr::__internal::AbiCx<'_>,
                                ty: &#cr::Type,
                                ptr: u32,
                            ) -> ::spindle::Result<Self> {
                                let fields = #cr::__internal::record_fields(ty, #count)
                                    .map_err(#cr::__internal::abi_trap)?;
                                let offsets = &ty.layout().field_offsets;
                                Ok(#name {
                                    #( #idents: <#tys as #cr::Lift>::load(cx, &fields[#indices3].ty, ptr + offsets[#indices3])? ),*
                                })
                            }
                        }
                    }
                }
            }
        }
        (Kind::Variant | Kind::Enum, Data::Enum(e)) => {
            let mut names = Vec::new();
            let mut idents = Vec::new();
            let mut payloads = Vec::new();
            for v in &e.variants {
                names.push(wit_name(&v.attrs, &v.ident)?);
                idents.push(&v.ident);
                payloads.push(match &v.fields {
                    Fields::Unit => None,
                    Fields::Unnamed(f) if f.unnamed.len() == 1 && kind == Kind::Variant => {
                        Some(&f.unnamed[0].ty)
                    }
                    _ => {
                        return Err(syn::Error::new_spanned(
                            v,
                            "a case is a unit variant, or (in a variant) has one unnamed field",
                        ))
                    }
                });
            }
            expand_cases(which, kind, name, &names, &idents, &payloads)
        }
        _ => {
            return Err(syn::Error::new_spanned(
                name,
                "`record` derives on a struct, `variant` and `enum` on an enum",
            ))
        }
    };
    Ok(body)
}

fn expand_cases(
    which: Which,
    kind: Kind,
    name: &Ident,
    names: &[String],
    idents: &[&Ident],
    payloads: &[Option<&syn::Type>],
) -> TokenStream {
    let cr = quote!(::spindle::component);
    match which {
        Which::ComponentType if kind == Kind::Enum => quote! {
            impl #cr::ComponentType for #name {
                fn typecheck(ty: &#cr::Type) -> bool {
                    #cr::__internal::typecheck_enum(ty, &[#(#names),*])
                }
            }
        },
        Which::ComponentType => {
            let checks = payloads.iter().map(|p| match p {
                Some(t) => {
                    quote!(Some(<#t as #cr::ComponentType>::typecheck as fn(&#cr::Type) -> bool))
                }
                None => quote!(None),
            });
            quote! {
                impl #cr::ComponentType for #name {
                    fn typecheck(ty: &#cr::Type) -> bool {
                        #cr::__internal::typecheck_variant(ty, &[#( (#names, #checks) ),*])
                    }
                }
            }
        }
        Which::Lower => {
            let arms = idents.iter().zip(names).zip(payloads).map(|((id, n), p)| {
                match (kind, p) {
                    (Kind::Enum, _) => quote!(#name::#id => #cr::Val::Enum(::std::string::String::from(#n))),
                    (_, Some(_)) => quote!(#name::#id(x) => #cr::Val::Variant(
                        ::std::string::String::from(#n),
                        Some(::std::boxed::Box::new(#cr::Lower::to_val(x))))),
                    (_, None) => quote!(#name::#id => #cr::Val::Variant(::std::string::String::from(#n), None)),
                }
            });
            quote! {
                impl #cr::Lower for #name {
                    fn to_val(&self) -> #cr::Val {
                        match self { #(#arms,)* }
                    }
                }
            }
        }
        Which::Lift => {
            let arms = idents.iter().zip(names).zip(payloads).enumerate().map(
                |(i, ((id, n), p))| match p {
                    Some(t) => quote!(#n => #name::#id(
                        #cr::__internal::lift_variant_payload::<#t>(payload, ty, #i)?)),
                    None => quote!(#n => #name::#id),
                },
            );
            let (pattern, what) = if kind == Kind::Enum {
                (quote!(#cr::Val::Enum(label)), "enum")
            } else {
                (quote!(#cr::Val::Variant(label, payload)), "variant")
            };
            quote! {
                impl #cr::Lift for #name {
                    #[allow(unused_variables)]
                    fn from_val(v: #cr::Val, ty: &#cr::Type) -> ::spindle::Result<Self> {
                        match v {
                            #pattern => Ok(match label.as_str() {
                                #(#arms,)*
                                other => return Err(::spindle::Error::msg(::std::format!(
                                    "no case `{other}` in {}", ::std::stringify!(#name)))),
                            }),
                            other => Err(::spindle::Error::msg(::std::format!(
                                "component value {other:?} is not a {}", #what))),
                        }
                    }
                }
            }
        }
    }
}

/// One flags type of a `flags!` invocation.
struct FlagsType {
    name: Ident,
    flags: Vec<(String, Ident)>,
}

impl Parse for FlagsType {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name: Ident = input.parse()?;
        let body;
        syn::braced!(body in input);
        let mut flags = Vec::new();
        while !body.is_empty() {
            let attrs = body.call(Attribute::parse_outer)?;
            body.parse::<Token![const]>()?;
            let id: Ident = body.parse()?;
            body.parse::<Token![;]>()?;
            let wit = component_attrs(&attrs)?
                .1
                .unwrap_or_else(|| id.to_string().replace('_', "-").to_lowercase());
            flags.push((wit, id));
        }
        Ok(FlagsType { name, flags })
    }
}

pub fn flags(input: TokenStream) -> syn::Result<TokenStream> {
    let types = syn::parse::Parser::parse2(
        |input: ParseStream| {
            let mut out = Vec::new();
            while !input.is_empty() {
                out.push(input.parse::<FlagsType>()?);
            }
            Ok(out)
        },
        input,
    )?;
    let cr = quote!(::spindle::component);
    let mut out = TokenStream::new();
    for FlagsType { name, flags } in types {
        if flags.len() > 32 {
            return Err(syn::Error::new_spanned(&name, "at most 32 flags"));
        }
        let labels: Vec<&String> = flags.iter().map(|(w, _)| w).collect();
        let consts = flags.iter().enumerate().map(|(i, (_, id))| {
            let bit = 1u32 << i;
            quote!(pub const #id: Self = Self { bits: #bit };)
        });
        let all: u32 = if flags.len() == 32 {
            u32::MAX
        } else {
            (1u32 << flags.len()) - 1
        };
        let debug_names = flags.iter().map(|(_, id)| id.to_string());
        out.extend(quote! {
            #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
            pub struct #name { bits: u32 }

            impl #name {
                #(#consts)*
                const LABELS: &'static [&'static str] = &[#(#labels),*];
                const NAMES: &'static [&'static str] = &[#(#debug_names),*];
                /// No flag set.
                pub const fn empty() -> Self { Self { bits: 0 } }
                /// Every flag set.
                pub const fn all() -> Self { Self { bits: #all } }
                /// Whether every flag of `other` is set in `self`.
                pub const fn contains(&self, other: Self) -> bool { self.bits & other.bits == other.bits }
                /// Whether no flag is set.
                pub const fn is_empty(&self) -> bool { self.bits == 0 }
            }
            impl ::core::ops::BitOr for #name {
                type Output = Self;
                fn bitor(self, o: Self) -> Self { Self { bits: self.bits | o.bits } }
            }
            impl ::core::ops::BitOrAssign for #name {
                fn bitor_assign(&mut self, o: Self) { self.bits |= o.bits }
            }
            impl ::core::ops::BitAnd for #name {
                type Output = Self;
                fn bitand(self, o: Self) -> Self { Self { bits: self.bits & o.bits } }
            }
            impl ::core::ops::BitAndAssign for #name {
                fn bitand_assign(&mut self, o: Self) { self.bits &= o.bits }
            }
            impl ::core::ops::BitXor for #name {
                type Output = Self;
                fn bitxor(self, o: Self) -> Self { Self { bits: self.bits ^ o.bits } }
            }
            impl ::core::ops::Sub for #name {
                type Output = Self;
                fn sub(self, o: Self) -> Self { Self { bits: self.bits & !o.bits } }
            }
            impl ::core::ops::Not for #name {
                type Output = Self;
                fn not(self) -> Self { Self { bits: !self.bits & #all } }
            }
            impl ::core::fmt::Debug for #name {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.write_str(::core::stringify!(#name))?;
                    f.write_str("(")?;
                    let mut first = true;
                    for (i, n) in Self::NAMES.iter().enumerate() {
                        if self.bits & (1 << i) != 0 {
                            if !first { f.write_str(" | ")?; }
                            first = false;
                            f.write_str(n)?;
                        }
                    }
                    f.write_str(")")
                }
            }
            impl #cr::ComponentType for #name {
                fn typecheck(ty: &#cr::Type) -> bool {
                    #cr::__internal::typecheck_flags(ty, Self::LABELS)
                }
            }
            impl #cr::Lower for #name {
                fn to_val(&self) -> #cr::Val {
                    #cr::Val::Flags(Self::LABELS.iter().enumerate()
                        .filter(|(i, _)| self.bits & (1 << i) != 0)
                        .map(|(_, l)| ::std::string::String::from(*l))
                        .collect())
                }
            }
            impl #cr::Lift for #name {
                fn from_val(v: #cr::Val, _: &#cr::Type) -> ::spindle::Result<Self> {
                    Ok(Self { bits: #cr::__internal::lift_flags(v, Self::LABELS)? })
                }
            }
        });
    }
    Ok(out)
}
