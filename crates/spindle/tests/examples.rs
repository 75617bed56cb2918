//! The embedding examples of the top-level `examples/` directory, run as tests: each
//! asserts its own results, so running it is the test.

#[path = "../../../examples/host_memory.rs"]
mod host_memory;
#[path = "../../../examples/pool.rs"]
mod pool;
#[path = "../../../examples/untrusted.rs"]
mod untrusted;

#[test]
fn host_memory() -> spindle::Result<()> {
    host_memory::main()
}

#[test]
fn untrusted() -> spindle::Result<()> {
    untrusted::main()
}

#[test]
fn pool() -> spindle::Result<()> {
    pool::main()
}
