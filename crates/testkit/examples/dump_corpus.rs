//! Writes every module of the spec-suite seed corpus to a directory, one `.wasm` file each
//! (named by content hash), e.g. to seed a fuzzer:
//!
//! ```text
//! cargo run -p spindle-testkit --example dump_corpus -- fuzz/corpus/validate_raw
//! ```

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: dump_corpus <directory>");
        std::process::exit(2);
    };
    std::fs::create_dir_all(&dir)?;
    let corpus = spindle_testkit::corpus::spec_corpus();
    for m in corpus {
        let mut h = DefaultHasher::new();
        m.bytes.hash(&mut h);
        std::fs::write(dir.join(format!("{:016x}.wasm", h.finish())), &m.bytes)?;
    }
    println!("wrote {} modules to {}", corpus.len(), dir.display());
    Ok(())
}
