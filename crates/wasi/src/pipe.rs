//! In-memory standard streams (wasmtime-wasi's `MemoryInputPipe`/`MemoryOutputPipe`): what
//! a host gives the guest to read, and collects from what it writes.

use std::sync::{Arc, Mutex};

/// Bytes the guest reads as its input.
#[derive(Clone, Debug, Default)]
pub struct MemoryInputPipe {
    inner: Arc<Mutex<(Vec<u8>, usize)>>,
}

impl MemoryInputPipe {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        MemoryInputPipe {
            inner: Arc::new(Mutex::new((bytes.into(), 0))),
        }
    }

    /// Reads up to `buf.len()` bytes; 0 at the end.
    pub(crate) fn read(&self, buf: &mut [u8]) -> usize {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (data, pos) = &mut *g;
        let n = buf.len().min(data.len() - *pos);
        buf[..n].copy_from_slice(&data[*pos..*pos + n]);
        *pos += n;
        n
    }
}

/// Collects what the guest writes, up to a capacity (past it, writes fail with `EIO`, so a
/// guest cannot exhaust the host's memory through its output).
#[derive(Clone, Debug)]
pub struct MemoryOutputPipe {
    inner: Arc<Mutex<Vec<u8>>>,
    capacity: usize,
}

impl MemoryOutputPipe {
    pub fn new(capacity: usize) -> Self {
        MemoryOutputPipe {
            inner: Arc::new(Mutex::new(Vec::new())),
            capacity,
        }
    }

    /// Everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Appends `bytes`, or refuses them all past the capacity.
    pub(crate) fn write(&self, bytes: &[u8]) -> bool {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if g.len() + bytes.len() > self.capacity {
            return false;
        }
        g.extend_from_slice(bytes);
        true
    }
}
