//! A Vec-backed guest memory with a bump `realloc`, shared by the tests.

#![allow(dead_code)]

use spindle_component::{Memory, Trap};

/// One `realloc` call: (old_ptr, old_size, align, new_size).
pub type ReallocCall = (u32, u32, u32, u32);

/// Grows on demand; `realloc` bumps a cursor (shrinking in place, copying when growing,
/// as a guest allocator does), logs every call, and can be told to return a fixed
/// pointer instead, to provoke the checks of its result.
pub struct VecMemory {
    pub bytes: Vec<u8>,
    pub next: u32,
    pub log: Vec<ReallocCall>,
    pub force: Option<u32>,
    pub fail: bool,
}

impl VecMemory {
    pub fn new() -> VecMemory {
        VecMemory {
            bytes: vec![0; 64],
            // Allocations never start at 0, so a zeroed pointer is never a real block.
            next: 8,
            log: Vec::new(),
            force: None,
            fail: false,
        }
    }

    /// A block for a value of `size` bytes aligned to `align`, outside the log.
    pub fn alloc(&mut self, align: u32, size: u32) -> u32 {
        let p = self.realloc(0, 0, align, size).unwrap();
        self.log.pop();
        p
    }
}

impl Memory for VecMemory {
    fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    fn realloc(
        &mut self,
        old_ptr: u32,
        old_size: u32,
        align: u32,
        new_size: u32,
    ) -> Result<u32, Trap> {
        self.log.push((old_ptr, old_size, align, new_size));
        if self.fail {
            return Err(Trap::Guest("realloc: out of memory".into()));
        }
        if let Some(p) = self.force {
            return Ok(p);
        }
        assert!(
            align.is_power_of_two() && align <= 8,
            "bad realloc alignment {align}"
        );
        if old_ptr != 0 && new_size <= old_size {
            return Ok(old_ptr);
        }
        let ptr = self.next.div_ceil(align) * align;
        let end = ptr as usize + new_size as usize;
        if end > self.bytes.len() {
            self.bytes.resize(end.max(self.bytes.len() * 2), 0);
        }
        let keep = old_size.min(new_size) as usize;
        self.bytes
            .copy_within(old_ptr as usize..old_ptr as usize + keep, ptr as usize);
        self.next = end as u32;
        Ok(ptr)
    }
}
