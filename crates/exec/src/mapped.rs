//! Module bytes read from a file by mapping it into memory (no copy), or owned.

use alloc::sync::Arc;
use core::ops::Deref;
#[cfg(feature = "std")]
use std::{fs::File, path::Path};

/// The bytes of a module: owned, or a read-only mapping of the file it came from. Lazy
/// translation keeps them to translate function bodies on first call.
#[derive(Clone)]
pub enum ModuleBytes {
    Owned(Arc<[u8]>),
    #[cfg(feature = "std")]
    Mapped(Arc<memmap2::Mmap>),
}

impl Deref for ModuleBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            ModuleBytes::Owned(b) => b,
            #[cfg(feature = "std")]
            ModuleBytes::Mapped(m) => m,
        }
    }
}

#[cfg(feature = "std")]
impl ModuleBytes {
    /// Reads the file at `path` into memory: safe whatever later happens to the file.
    pub fn read_file(path: &Path) -> std::io::Result<ModuleBytes> {
        Ok(ModuleBytes::Owned(Arc::from(std::fs::read(path)?)))
    }

    /// Maps the file at `path` read-only. An empty file is read rather than mapped (a
    /// zero-length mapping is an error on some systems).
    ///
    /// # Safety
    ///
    /// The file must not be truncated or modified while the mapping lives (the module, in
    /// lazy mode): a truncated file makes reads of the mapping fault (SIGBUS), and changes
    /// would show through. (Bodies are validated again as they are translated, so a
    /// changed file that stays long enough yields errors, not unchecked code.)
    pub unsafe fn map_file(path: &Path) -> std::io::Result<ModuleBytes> {
        let file = File::open(path)?;
        if file.metadata()?.len() == 0 {
            return Ok(ModuleBytes::Owned(Arc::from(&[][..])));
        }
        // SAFETY: the mapping is read-only and private to this process; its bytes are only
        // read as `&[u8]` while the `Mmap` lives. The caller promises the file stays as it
        // is (the contract above).
        let map = unsafe { memmap2::Mmap::map(&file)? };
        Ok(ModuleBytes::Mapped(Arc::new(map)))
    }
}
