//! The embedding examples of the top-level `examples/` directory, run as tests: each
//! asserts its own results, so running it is the test.

#[path = "../../../examples/host_memory.rs"]
mod host_memory;
#[cfg(feature = "component")]
#[path = "../../../examples/json_processor.rs"]
mod json_processor;
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

#[cfg(feature = "component")]
#[test]
fn json_processor() -> spindle::Result<()> {
    json_processor::run(json_processor::DEFAULT_INPUT)
}
