//! A minimal embedder: reads a module, validates and instantiates it with no imports,
//! calls its export `run` (no parameters, one `i32` result) and prints the result. Built
//! without the `embed` feature it is the baseline: the same reading and printing, std only.

fn main() {
    let path = std::env::args().nth(1).expect("usage: minimal MODULE.wasm");
    let bytes = std::fs::read(&path).expect("cannot read the module");
    println!("{}", run(&bytes));
}

#[cfg(feature = "embed")]
fn run(bytes: &[u8]) -> i32 {
    use spindle::{Engine, Instance, Module, Store};
    let engine = Engine::default();
    let module = Module::new(&engine, bytes).expect("invalid module");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiation failed");
    let f = instance
        .get_typed_func::<(), i32>(&store, "run")
        .expect("no `run: [] -> [i32]` export");
    f.call(&mut store, ()).expect("trapped")
}

#[cfg(not(feature = "embed"))]
fn run(bytes: &[u8]) -> i32 {
    bytes.len() as i32
}
