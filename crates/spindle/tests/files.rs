//! Modules from files: binary files are mapped (and, with lazy translation, translated
//! from the mapping on first call), text files are parsed, unreadable ones are errors.

use spindle::{Config, Engine, EngineError, Linker, Module, Store, Translation};

const WAT: &str = r#"(module (func (export "twice") (param i32) (result i32)
  (i32.mul (local.get 0) (i32.const 2))))"#;

/// A file in the temporary directory, removed when the test that wrote it passes.
#[derive(Debug)]
struct TempFile(std::path::PathBuf);

impl AsRef<std::path::Path> for TempFile {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

fn temp_file(name: &str, bytes: &[u8]) -> TempFile {
    let path = std::env::temp_dir().join(format!("spindle-files-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    TempFile(path)
}

fn twice(engine: &Engine, module: &Module, x: i32) -> i32 {
    let mut store = Store::new(engine, ());
    let instance = Linker::new(engine).instantiate(&mut store, module).unwrap();
    let f = instance
        .get_typed_func::<i32, i32>(&store, "twice")
        .unwrap();
    f.call(&mut store, x).unwrap()
}

#[test]
fn binary_and_text_files_compile_in_both_translation_modes() {
    let binary = wast::parser::parse::<wast::Wat>(&wast::parser::ParseBuffer::new(WAT).unwrap())
        .unwrap()
        .encode()
        .unwrap();
    let wasm = temp_file("twice.wasm", &binary);
    let wat = temp_file("twice.wat", WAT.as_bytes());
    for translation in [Translation::Eager, Translation::Lazy] {
        let engine = Engine::new(Config::new().translation(translation)).unwrap();
        for path in [&wasm, &wat] {
            let module = Module::from_file(&engine, path).unwrap();
            assert_eq!(twice(&engine, &module, 21), 42, "{path:?} {translation:?}");
        }
    }
}

#[test]
fn unreadable_and_malformed_files_are_errors() {
    let engine = Engine::default();
    let missing = std::env::temp_dir().join("spindle-no-such-file.wasm");
    assert!(matches!(
        Module::from_file(&engine, &missing),
        Err(e) if matches!(e.downcast_ref::<EngineError>(), Some(EngineError::Io(_)))
    ));
    let bad_text = temp_file("bad.wat", b"(module (func (export \"f\") (i32.nope)))");
    assert!(matches!(
        Module::from_file(&engine, &bad_text),
        Err(e) if matches!(e.downcast_ref::<EngineError>(), Some(EngineError::Text(_)))
    ));
    let empty = temp_file("empty.wasm", b"");
    assert!(Module::from_file(&engine, &empty).is_err());
    let truncated = temp_file("truncated.wasm", b"\0asm\x01\0\0\0\x01\x05");
    assert!(matches!(
        Module::from_file(&engine, &truncated),
        Err(e) if matches!(e.downcast_ref::<EngineError>(), Some(EngineError::Validate(_)))
    ));
}
