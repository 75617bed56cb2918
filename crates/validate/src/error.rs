//! The validator's one error type: what went wrong, at which byte, in which function.

use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;
use spindle_decode::DecodeError;

/// Why a module was rejected.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ErrorKind {
    /// The bytes do not follow the binary format (the spec's "malformed").
    Malformed,
    /// Well-formed but breaks a validation rule (the spec's "invalid").
    Invalid,
    /// Beyond one of the decode-time limits of [`spindle_decode::limits`].
    Limit,
}

/// A rejected module: kind, message, absolute byte offset and, inside code, the function
/// index. One boxed word.
#[derive(Clone, PartialEq, Eq)]
pub struct ValidateError {
    inner: Box<Inner>,
}

#[derive(Clone, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    offset: usize,
    func: Option<u32>,
    message: String,
}

impl ValidateError {
    /// An "invalid" error.
    #[cold]
    #[inline(never)]
    pub fn invalid(offset: usize, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, offset, message.into())
    }

    /// An "invalid" error with a formatted message.
    #[cold]
    #[inline(never)]
    pub fn invalid_fmt(offset: usize, args: fmt::Arguments<'_>) -> Self {
        Self::new(ErrorKind::Invalid, offset, alloc::fmt::format(args))
    }

    #[cold]
    #[inline(never)]
    fn new(kind: ErrorKind, offset: usize, message: String) -> Self {
        ValidateError {
            inner: Box::new(Inner {
                kind,
                offset,
                func: None,
                message,
            }),
        }
    }

    /// Records the index of the function whose body the error is in.
    #[cold]
    pub fn in_function(mut self, func: u32) -> Self {
        self.inner.func = Some(func);
        self
    }

    /// The error with its offset moved by `delta` (errors of a core module nested in a
    /// component carry offsets relative to the module).
    #[cold]
    pub fn shifted(mut self, delta: usize) -> Self {
        self.inner.offset += delta;
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    pub fn offset(&self) -> usize {
        self.inner.offset
    }

    /// The function (absolute index, imports counted) the error is in, if in code.
    pub fn function(&self) -> Option<u32> {
        self.inner.func
    }

    pub fn message(&self) -> &str {
        &self.inner.message
    }
}

impl From<DecodeError> for ValidateError {
    #[cold]
    fn from(e: DecodeError) -> Self {
        let kind = if e.message().contains("exceeds the limit") {
            ErrorKind::Limit
        } else {
            ErrorKind::Malformed
        };
        ValidateError::new(kind, e.offset(), String::from(e.message()))
    }
}

impl fmt::Display for ValidateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.inner.kind {
            ErrorKind::Malformed => "malformed",
            ErrorKind::Invalid => "invalid",
            ErrorKind::Limit => "limit exceeded",
        };
        write!(f, "{kind}: {}", self.inner.message)?;
        if let Some(func) = self.inner.func {
            write!(f, " (in function {func}")?;
            write!(f, ", at offset 0x{:x})", self.inner.offset)
        } else {
            write!(f, " (at offset 0x{:x})", self.inner.offset)
        }
    }
}

impl fmt::Debug for ValidateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ValidateError {}

/// Shorthand used across the crate.
pub type Result<T, E = ValidateError> = core::result::Result<T, E>;

/// `bail!(offset, "fmt", args..)`: return an "invalid" [`ValidateError`].
macro_rules! bail {
    ($offset:expr, $($arg:tt)*) => {
        return Err($crate::error::ValidateError::invalid_fmt($offset, format_args!($($arg)*)))
    };
}
pub(crate) use bail;
