//! `BinaryReader`: a cursor over module bytes with LEB128 and the primitive encodings.
//!
//! Every read checks the remaining length first; nothing here can panic or read out of
//! bounds, and every error carries the absolute byte offset.

use crate::error::{DecodeError, Result};
use crate::limits::MAX_STRING_LEN;

/// A cursor over a slice of a module. `base` is the absolute offset of `data[0]`, so offsets
/// in errors always refer to the whole module.
#[derive(Clone, Copy, Debug)]
pub struct BinaryReader<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> BinaryReader<'a> {
    /// A reader over `data`, whose first byte sits at absolute offset `base`.
    pub fn new(data: &'a [u8], base: usize) -> Self {
        BinaryReader { data, pos: 0, base }
    }

    /// Absolute offset of the next byte.
    #[inline]
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Whether every byte was read.
    #[inline]
    pub fn eof(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// Bytes not yet read.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// The unread bytes.
    pub fn remaining_bytes(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }

    /// The next byte, without consuming it.
    #[inline]
    pub fn peek_u8(&self) -> Result<u8> {
        match self.data.get(self.pos) {
            Some(b) => Ok(*b),
            None => Err(DecodeError::eof(self.offset())),
        }
    }

    /// One byte.
    #[inline]
    pub fn read_u8(&mut self) -> Result<u8> {
        match self.data.get(self.pos) {
            Some(b) => {
                self.pos += 1;
                Ok(*b)
            }
            None => Err(DecodeError::eof(self.offset())),
        }
    }

    /// `n` raw bytes.
    #[inline]
    pub fn read_bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(DecodeError::eof(self.base + self.data.len()));
        }
        let bytes = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    /// A sub-reader over the next `n` bytes, which are consumed here.
    pub fn split(&mut self, n: usize) -> Result<BinaryReader<'a>> {
        let base = self.offset();
        let bytes = self.read_bytes(n)?;
        Ok(BinaryReader::new(bytes, base))
    }

    /// A little-endian `u32` (4 raw bytes).
    pub fn read_u32_le(&mut self) -> Result<u32> {
        let b = self.read_bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A little-endian `u64` (8 raw bytes).
    pub fn read_u64_le(&mut self) -> Result<u64> {
        let b = self.read_bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// Unsigned LEB128, at most 32 bits.
    #[inline(always)]
    pub fn read_var_u32(&mut self) -> Result<u32> {
        // Fast path: one byte.
        if let Some(&b) = self.data.get(self.pos) {
            if b & 0x80 == 0 {
                self.pos += 1;
                return Ok(b as u32);
            }
        }
        self.read_var_u32_slow()
    }

    #[inline(never)]
    fn read_var_u32_slow(&mut self) -> Result<u32> {
        let start = self.offset();
        let mut result: u32 = 0;
        let mut shift = 0;
        loop {
            let byte = self.read_u8()?;
            if shift == 28 {
                if byte & 0x80 != 0 {
                    return Err(DecodeError::new(start, "integer representation too long"));
                }
                if byte & 0xF0 != 0 {
                    return Err(DecodeError::new(start, "integer too large"));
                }
                return Ok(result | ((byte as u32) << 28));
            }
            result |= ((byte & 0x7F) as u32) << shift;
            if byte & 0x80 == 0 {
                return Ok(result);
            }
            shift += 7;
        }
    }

    /// Unsigned LEB128, at most 64 bits.
    pub fn read_var_u64(&mut self) -> Result<u64> {
        let start = self.offset();
        let mut result: u64 = 0;
        let mut shift = 0;
        loop {
            let byte = self.read_u8()?;
            if shift == 63 {
                if byte & 0x80 != 0 {
                    return Err(DecodeError::new(start, "integer representation too long"));
                }
                if byte & 0x7E != 0 {
                    return Err(DecodeError::new(start, "integer too large"));
                }
                return Ok(result | ((byte as u64) << 63));
            }
            result |= ((byte & 0x7F) as u64) << shift;
            if byte & 0x80 == 0 {
                return Ok(result);
            }
            shift += 7;
        }
    }

    /// Signed LEB128 of `bits` bits (32, 33 or 64), sign-extended into an `i64`.
    fn read_var_signed(&mut self, bits: u32) -> Result<i64> {
        let start = self.offset();
        let mut result: i64 = 0;
        let mut shift = 0u32;
        let max_bytes = bits.div_ceil(7);
        let mut count = 0;
        loop {
            let byte = self.read_u8()?;
            count += 1;
            if count == max_bytes {
                if byte & 0x80 != 0 {
                    return Err(DecodeError::new(start, "integer representation too long"));
                }
                // The unused bits of the last byte must all equal the sign bit.
                let used = bits - shift; // bits taken from this byte, including the sign
                let sign_and_unused = (((byte << 1) as i8) >> 1) as i32 >> (used - 1);
                if sign_and_unused != 0 && sign_and_unused != -1 {
                    return Err(DecodeError::new(start, "integer too large"));
                }
                result |= ((byte & 0x7F) as i64) << shift;
                let total = shift + 7;
                if total < 64 {
                    result = (result << (64 - total)) >> (64 - total);
                }
                return Ok(result);
            }
            result |= ((byte & 0x7F) as i64) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                if shift < 64 {
                    result = (result << (64 - shift)) >> (64 - shift);
                }
                return Ok(result);
            }
        }
    }

    /// Signed LEB128, 32 bits.
    #[inline]
    pub fn read_var_i32(&mut self) -> Result<i32> {
        if let Some(&b) = self.data.get(self.pos) {
            if b & 0x80 == 0 {
                self.pos += 1;
                return Ok(((b << 1) as i8 >> 1) as i32);
            }
            if let Some(&c) = self.data.get(self.pos + 1) {
                if c & 0x80 == 0 {
                    self.pos += 2;
                    let v = (b & 0x7F) as i32 | ((c as i32) << 7);
                    return Ok((v << 18) >> 18);
                }
            }
        }
        Ok(self.read_var_signed(32)? as i32)
    }

    /// Signed LEB128, 33 bits (block types).
    pub fn read_var_s33(&mut self) -> Result<i64> {
        self.read_var_signed(33)
    }

    /// Signed LEB128, 64 bits.
    #[inline]
    pub fn read_var_i64(&mut self) -> Result<i64> {
        if let Some(&b) = self.data.get(self.pos) {
            if b & 0x80 == 0 {
                self.pos += 1;
                return Ok(((b << 1) as i8 >> 1) as i64);
            }
        }
        self.read_var_signed(64)
    }

    /// A count of items that follow, checked against `limit` and against the bytes left
    /// (every item takes at least one byte) so that callers may reserve capacity safely.
    pub fn read_count(&mut self, limit: usize, what: &str) -> Result<usize> {
        let at = self.offset();
        let n = self.read_var_u32()? as usize;
        if n > limit {
            crate::bail!(at, "{what} count {n} exceeds the limit of {limit}");
        }
        if n > self.remaining() {
            return Err(DecodeError::eof(self.base + self.data.len()));
        }
        Ok(n)
    }

    /// A length-prefixed UTF-8 name.
    pub fn read_string(&mut self) -> Result<&'a str> {
        let at = self.offset();
        let len = self.read_var_u32()? as usize;
        if len > MAX_STRING_LEN {
            crate::bail!(
                at,
                "string length {len} exceeds the limit of {MAX_STRING_LEN}"
            );
        }
        let bytes = self.read_bytes(len)?;
        core::str::from_utf8(bytes).map_err(|_| DecodeError::new(at, "malformed UTF-8 encoding"))
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize) -> Result<()> {
        self.read_bytes(n).map(|_| ())
    }

    /// An error at the current offset.
    #[cold]
    pub fn error(&self, message: &str) -> DecodeError {
        DecodeError::new(self.offset(), message)
    }
}
