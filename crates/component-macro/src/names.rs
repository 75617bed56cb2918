//! WIT names (kebab-case) as Rust names.

use proc_macro2::{Ident, Span};

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "crate", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop",
    "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return", "self",
    "Self", "static", "struct", "super", "trait", "true", "try", "type", "typeof", "unsafe",
    "unsized", "use", "virtual", "where", "while", "yield",
];

/// `sort-keys` → `sort_keys` (a keyword gets a trailing `_`, as wasmtime does).
pub fn snake(name: &str) -> String {
    let s = name.replace('-', "_").to_lowercase();
    if KEYWORDS.contains(&s.as_str()) {
        format!("{s}_")
    } else {
        s
    }
}

/// `format-options` → `FormatOptions`.
pub fn camel(name: &str) -> String {
    let mut out = String::new();
    for part in name.split('-') {
        let mut chars = part.chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_uppercase());
            out.push_str(&chars.as_str().to_lowercase());
        }
    }
    if KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// `read-only` → `READ_ONLY`.
pub fn shouty(name: &str) -> String {
    name.replace('-', "_").to_uppercase()
}

pub fn ident(s: &str) -> Ident {
    Ident::new(s, Span::call_site())
}
