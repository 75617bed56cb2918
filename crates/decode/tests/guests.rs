//! The committed test guest components (`examples/components/`, built from C by
//! `examples/components/build.sh`) are intact: each one decodes with our component decoder
//! (its nested core modules too), validates with wasmparser, imports and exports exactly
//! the names its world says, has a core module exporting each function under its
//! canonical ABI name, and imports nothing from WASI. Needs no tools: a guest changed or
//! rebuilt wrongly fails here.

#![cfg(feature = "component")]

use std::path::PathBuf;

use spindle_decode::component::{
    CanonicalFunction, CanonicalOption, Component, NestedModule, SectionContents,
};
use wasmparser::Validator;

struct Guest {
    /// Relative to `examples/components/`.
    path: &'static str,
    imports: &'static [&'static str],
    exports: &'static [&'static str],
    /// Core function exports some nested core module must have (`<interface>#<func>`,
    /// `[dtor]` and the like).
    core_exports: &'static [&'static str],
}

const GUESTS: &[Guest] = &[
    Guest {
        path: "json-processor/json-processor.wasm",
        imports: &[],
        exports: &["example:json-tools/formatter@1.0.0"],
        core_exports: &[
            "example:json-tools/formatter@1.0.0#format",
            "example:json-tools/formatter@1.0.0#minify",
            "cabi_realloc",
        ],
    },
    Guest {
        path: "plugin/plugin.wasm",
        imports: &["raisfast:plugin-wit/types", "raisfast:plugin-wit/host-api"],
        exports: &["raisfast:plugin-wit/plugin-hooks"],
        core_exports: &[
            "raisfast:plugin-wit/plugin-hooks#on-post-creating",
            "raisfast:plugin-wit/plugin-hooks#on-post-updating",
            "raisfast:plugin-wit/plugin-hooks#on-comment-creating",
            "raisfast:plugin-wit/plugin-hooks#on-content-creating",
            "raisfast:plugin-wit/plugin-hooks#on-content-updating",
            "raisfast:plugin-wit/plugin-hooks#render-markdown",
            "raisfast:plugin-wit/plugin-hooks#filter-html",
            "raisfast:plugin-wit/plugin-hooks#on-post-created",
            "raisfast:plugin-wit/plugin-hooks#on-post-updated",
            "raisfast:plugin-wit/plugin-hooks#on-post-deleted",
            "raisfast:plugin-wit/plugin-hooks#on-comment-created",
            "raisfast:plugin-wit/plugin-hooks#on-content-created",
            "raisfast:plugin-wit/plugin-hooks#on-content-updated",
            "raisfast:plugin-wit/plugin-hooks#on-content-deleted",
            "raisfast:plugin-wit/plugin-hooks#on-login",
            "raisfast:plugin-wit/plugin-hooks#on-cron-tick",
        ],
    },
    Guest {
        path: "kv-store/kv-store.wasm",
        imports: &["spindle:test-kv/logging"],
        exports: &["spindle:test-kv/kv"],
        core_exports: &[
            "spindle:test-kv/kv#[constructor]store",
            "spindle:test-kv/kv#[dtor]store",
            "spindle:test-kv/kv#[method]store.get",
            "spindle:test-kv/kv#[method]store.set",
            "spindle:test-kv/kv#[method]store.delete",
            "spindle:test-kv/kv#[method]store.len",
            "spindle:test-kv/kv#[method]store.dump",
            "spindle:test-kv/kv#[static]store.merge",
            "spindle:test-kv/kv#consume",
            "spindle:test-kv/kv#live-stores",
            "spindle:test-kv/kv#destroyed-stores",
            "spindle:test-kv/kv#log-once",
        ],
    },
    Guest {
        path: "utf16/utf16.wasm",
        imports: &["spindle:test-utf16/env"],
        exports: &["spindle:test-utf16/text"],
        core_exports: &[
            "spindle:test-utf16/text#reverse",
            "spindle:test-utf16/text#count-units",
            "spindle:test-utf16/text#concat",
            "spindle:test-utf16/text#prefixed",
        ],
    },
    Guest {
        path: "composed/provider.wasm",
        imports: &[],
        exports: &["spindle:test-compose/math"],
        core_exports: &[
            "spindle:test-compose/math#add",
            "spindle:test-compose/math#greet",
        ],
    },
    Guest {
        path: "composed/app.wasm",
        imports: &["spindle:test-compose/math"],
        exports: &["run"],
        core_exports: &["run"],
    },
    Guest {
        path: "composed/composed.wasm",
        imports: &[],
        exports: &["run"],
        core_exports: &[
            "run",
            "spindle:test-compose/math#add",
            "spindle:test-compose/math#greet",
        ],
    },
];

fn guest_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/components")
        .join(rel)
}

fn read(rel: &str) -> Vec<u8> {
    let path = guest_path(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn top_level_names(c: &Component<'_>) -> (Vec<String>, Vec<String>) {
    let mut imports = Vec::new();
    let mut exports = Vec::new();
    for section in &c.sections {
        match &section.contents {
            SectionContents::Imports(items) => {
                imports.extend(items.iter().map(|i| i.item.name.name.to_string()))
            }
            SectionContents::Exports(items) => {
                exports.extend(items.iter().map(|e| e.item.name.name.to_string()))
            }
            _ => {}
        }
    }
    (imports, exports)
}

/// Every core module in the component, nested components included.
fn all_modules<'a>(c: &Component<'a>, out: &mut Vec<NestedModule<'a>>) {
    out.extend(c.modules().copied());
    for nested in c.components() {
        all_modules(nested, out);
    }
}

/// Every canonical function in the component, nested components included.
fn all_canonicals(c: &Component<'_>, out: &mut Vec<CanonicalFunction>) {
    for section in &c.sections {
        if let SectionContents::Canonicals(items) = &section.contents {
            out.extend(items.iter().map(|f| f.item.clone()));
        }
    }
    for nested in c.components() {
        all_canonicals(nested, out);
    }
}

fn sorted(v: &[impl AsRef<str>]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.as_ref().to_string()).collect();
    v.sort();
    v
}

#[test]
fn committed_guests_decode_validate_and_have_their_worlds_names() {
    for guest in GUESTS {
        let bytes = read(guest.path);
        let component = Component::parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: does not decode: {e}", guest.path));
        Validator::new()
            .validate_all(&bytes)
            .unwrap_or_else(|e| panic!("{}: does not validate: {e}", guest.path));

        let (imports, exports) = top_level_names(&component);
        assert_eq!(
            sorted(&imports),
            sorted(guest.imports),
            "{}: imports",
            guest.path
        );
        assert_eq!(
            sorted(&exports),
            sorted(guest.exports),
            "{}: exports",
            guest.path
        );

        let mut modules = Vec::new();
        all_modules(&component, &mut modules);
        assert!(!modules.is_empty(), "{}: no core module", guest.path);
        let mut core_exports = Vec::new();
        for m in &modules {
            let module = m
                .parse()
                .unwrap_or_else(|e| panic!("{}: a nested module does not decode: {e}", guest.path));
            for import in &module.imports {
                assert!(
                    !import.module.starts_with("wasi"),
                    "{}: a core module imports {}::{} (the guests must not need WASI)",
                    guest.path,
                    import.module,
                    import.name
                );
            }
            core_exports.extend(module.exports.iter().map(|e| e.name.to_string()));
        }
        for name in guest.core_exports {
            assert!(
                core_exports.iter().any(|e| e == name),
                "{}: no core module exports {name:?}",
                guest.path
            );
        }
    }
}

fn lifts_and_lowers(rel: &str) -> Vec<Vec<CanonicalOption>> {
    let bytes = read(rel);
    let component = Component::parse(&bytes).unwrap();
    let mut canonicals = Vec::new();
    all_canonicals(&component, &mut canonicals);
    canonicals
        .into_iter()
        .filter_map(|f| match f {
            CanonicalFunction::Lift { options, .. } | CanonicalFunction::Lower { options, .. } => {
                Some(options)
            }
            _ => None,
        })
        .collect()
}

#[test]
fn utf16_guest_lifts_and_lowers_every_string_as_utf16() {
    let options = lifts_and_lowers("utf16/utf16.wasm");
    // 4 exports lifted, 2 imports lowered.
    assert!(options.len() >= 6, "{options:?}");
    for o in &options {
        assert!(o.contains(&CanonicalOption::Utf16), "{o:?}");
    }
}

#[test]
fn utf8_guests_never_say_utf16() {
    for guest in GUESTS.iter().filter(|g| g.path != "utf16/utf16.wasm") {
        for o in lifts_and_lowers(guest.path) {
            assert!(
                !o.contains(&CanonicalOption::Utf16) && !o.contains(&CanonicalOption::CompactUtf16),
                "{}: {o:?}",
                guest.path
            );
        }
    }
}

#[test]
fn kv_store_guest_uses_resource_builtins() {
    let bytes = read("kv-store/kv-store.wasm");
    let component = Component::parse(&bytes).unwrap();
    let mut canonicals = Vec::new();
    all_canonicals(&component, &mut canonicals);
    let count =
        |pred: fn(&CanonicalFunction) -> bool| canonicals.iter().filter(|f| pred(f)).count();
    assert!(count(|f| matches!(f, CanonicalFunction::ResourceNew { .. })) >= 1);
    assert!(count(|f| matches!(f, CanonicalFunction::ResourceRep { .. })) >= 1);
    // The guest drops its own `store` (consume) and the host's `logger` (dump, log-once).
    assert!(count(|f| matches!(f, CanonicalFunction::ResourceDrop { .. })) >= 2);
}

#[test]
fn composed_guest_nests_both_components() {
    let bytes = read("composed/composed.wasm");
    let component = Component::parse(&bytes).unwrap();
    assert_eq!(component.components().count(), 2);
}
