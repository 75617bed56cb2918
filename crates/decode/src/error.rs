//! The decoder's one error type: a small boxed value with the byte offset it refers to.

use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;

/// What went wrong while reading bytes, and where.
///
/// Boxed so `Result<T, DecodeError>` stays one word wide on the hot paths.
#[derive(Clone, PartialEq, Eq)]
pub struct DecodeError {
    inner: Box<Inner>,
}

#[derive(Clone, PartialEq, Eq)]
struct Inner {
    offset: usize,
    message: String,
    /// `true` when more bytes could have made the input valid (truncation).
    needs_more: bool,
}

impl DecodeError {
    /// An error at byte `offset` with a message.
    #[cold]
    #[inline(never)]
    pub fn new(offset: usize, message: impl Into<String>) -> Self {
        DecodeError {
            inner: Box::new(Inner {
                offset,
                message: message.into(),
                needs_more: false,
            }),
        }
    }

    /// An error for input that ended before a complete item was read.
    #[cold]
    #[inline(never)]
    pub fn eof(offset: usize) -> Self {
        DecodeError {
            inner: Box::new(Inner {
                offset,
                message: String::from("unexpected end of input"),
                needs_more: true,
            }),
        }
    }

    /// Formats a message: `DecodeError::fmt(offset, format_args!(..))`.
    #[cold]
    #[inline(never)]
    pub fn fmt(offset: usize, args: fmt::Arguments<'_>) -> Self {
        Self::new(offset, alloc::fmt::format(args))
    }

    /// The same error, `by` bytes further on: for an error from a slice decoded on its own
    /// (a core module nested in a component), so that its offset refers to the whole binary.
    pub fn shifted(mut self, by: usize) -> Self {
        self.inner.offset = self.inner.offset.saturating_add(by);
        self
    }

    /// Byte offset (from the start of the module) the error refers to.
    pub fn offset(&self) -> usize {
        self.inner.offset
    }

    /// The message, without the offset.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// Whether the input ended too early.
    pub fn is_eof(&self) -> bool {
        self.inner.needs_more
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (at offset 0x{:x})",
            self.inner.message, self.inner.offset
        )
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for DecodeError {}

/// Shorthand used across the crate.
pub type Result<T, E = DecodeError> = core::result::Result<T, E>;

/// `bail!(offset, "fmt", args..)`: return a formatted [`DecodeError`].
#[macro_export]
macro_rules! bail {
    ($offset:expr, $($arg:tt)*) => {
        return Err($crate::DecodeError::fmt($offset, format_args!($($arg)*)))
    };
}
