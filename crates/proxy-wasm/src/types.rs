//! The ABI's numbers and the values a gateway exchanges with filters. Runtime-free: the
//! same types serve the host over Spindle and the reference host over wasmtime
//! (`benches/runtimes`).

use std::collections::HashMap;

/// HTTP fields (headers or trailers), in order, duplicates allowed.
pub type Headers = Vec<(String, String)>;

/// `proxy_status_t`.
pub mod status {
    pub const OK: i32 = 0;
    pub const NOT_FOUND: i32 = 1;
    pub const BAD_ARGUMENT: i32 = 2;
    pub const SERIALIZATION_FAILURE: i32 = 3;
    pub const INVALID_MEMORY_ACCESS: i32 = 6;
    pub const EMPTY: i32 = 7;
    pub const CAS_MISMATCH: i32 = 8;
    pub const INTERNAL_FAILURE: i32 = 10;
    pub const UNIMPLEMENTED: i32 = 12;
}

/// `proxy_buffer_type_t`.
pub mod buffer {
    pub const HTTP_REQUEST_BODY: i32 = 0;
    pub const HTTP_RESPONSE_BODY: i32 = 1;
    pub const DOWNSTREAM_DATA: i32 = 2;
    pub const UPSTREAM_DATA: i32 = 3;
    pub const HTTP_CALL_RESPONSE_BODY: i32 = 4;
    pub const GRPC_CALL_MESSAGE: i32 = 5;
    pub const VM_CONFIGURATION: i32 = 6;
    pub const PLUGIN_CONFIGURATION: i32 = 7;
    pub const FOREIGN_FUNCTION_ARGUMENTS: i32 = 8;
}

/// `proxy_map_type_t`.
pub mod map {
    pub const HTTP_REQUEST_HEADERS: i32 = 0;
    pub const HTTP_REQUEST_TRAILERS: i32 = 1;
    pub const HTTP_RESPONSE_HEADERS: i32 = 2;
    pub const HTTP_RESPONSE_TRAILERS: i32 = 3;
    pub const GRPC_CALL_INITIAL_METADATA: i32 = 4;
    pub const GRPC_CALL_TRAILING_METADATA: i32 = 5;
    pub const HTTP_CALL_RESPONSE_HEADERS: i32 = 6;
    pub const HTTP_CALL_RESPONSE_TRAILERS: i32 = 7;
}

/// `proxy_stream_type_t`.
pub mod stream {
    pub const HTTP_REQUEST: i32 = 0;
    pub const HTTP_RESPONSE: i32 = 1;
    pub const DOWNSTREAM: i32 = 2;
    pub const UPSTREAM: i32 = 3;
}

/// `proxy_log_level_t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Trace = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
    Critical = 5,
}

impl LogLevel {
    pub fn from_i32(v: i32) -> Option<LogLevel> {
        Some(match v {
            0 => LogLevel::Trace,
            1 => LogLevel::Debug,
            2 => LogLevel::Info,
            3 => LogLevel::Warn,
            4 => LogLevel::Error,
            5 => LogLevel::Critical,
            _ => return None,
        })
    }
}

/// What a callback asks of the stream (`proxy_action_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Continue,
    Pause,
}

/// A response the filter sends instead of the upstream's (`proxy_send_local_response`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalResponse {
    pub status: u32,
    pub details: String,
    pub headers: Headers,
    pub body: Vec<u8>,
    pub grpc_status: i32,
}

/// An HTTP callout a filter asked for (`proxy_http_call`); the gateway sends it to the
/// upstream named `upstream` and answers with [`HttpCallResponse`] (or a failure).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpCallRequest {
    /// The token the filter got back.
    pub token: u32,
    /// The context that made the call (whose callback gets the answer).
    pub context_id: u32,
    pub upstream: String,
    pub headers: Headers,
    pub body: Vec<u8>,
    pub trailers: Headers,
    pub timeout_ms: u32,
}

/// The answer of a callout; `None` in its place means it failed (no headers).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpCallResponse {
    pub headers: Headers,
    pub body: Vec<u8>,
    pub trailers: Headers,
}

/// Which ABI the filter was built for (its `proxy_abi_version_*` export).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbiVersion {
    V0_1_0,
    V0_2_0,
    V0_2_1,
}

/// Serialises `fields` as the ABI's maps: a count, the key and value lengths, then each
/// key and value followed by a NUL.
pub fn serialize_map(fields: &[(String, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(fields.len() as u32).to_le_bytes());
    for (k, v) in fields {
        out.extend_from_slice(&(k.len() as u32).to_le_bytes());
        out.extend_from_slice(&(v.len() as u32).to_le_bytes());
    }
    for (k, v) in fields {
        out.extend_from_slice(k.as_bytes());
        out.push(0);
        out.extend_from_slice(v.as_bytes());
        out.push(0);
    }
    out
}

/// Parses a serialised map; `None` if it is malformed (lengths past the end, missing NULs,
/// not UTF-8). An empty input, or a single 0 byte, is the empty map.
pub fn deserialize_map(bytes: &[u8]) -> Option<Headers> {
    if bytes.is_empty() || bytes == [0] {
        return Some(Vec::new());
    }
    let word = |at: usize| -> Option<usize> {
        let b = bytes.get(at..at + 4)?;
        Some(u32::from_le_bytes(b.try_into().ok()?) as usize)
    };
    let n = word(0)?;
    // Each pair takes at least 10 bytes: refuse counts the input cannot hold before
    // allocating for them.
    if n > bytes.len() / 10 {
        return None;
    }
    let mut sizes = Vec::with_capacity(n);
    for i in 0..n {
        sizes.push((word(4 + 8 * i)?, word(8 + 8 * i)?));
    }
    let mut at = 4 + 8 * n;
    let mut take = |len: usize| -> Option<String> {
        let end = at.checked_add(len)?;
        let s = std::str::from_utf8(bytes.get(at..end)?).ok()?.to_string();
        if *bytes.get(end)? != 0 {
            return None;
        }
        at = end + 1;
        Some(s)
    };
    let mut out = Vec::with_capacity(n);
    for (k, v) in sizes {
        let key = take(k)?;
        let value = take(v)?;
        out.push((key, value));
    }
    Some(out)
}

/// How a filter runs: its names, configurations and limits.
#[derive(Clone, Debug)]
pub struct FilterConfig {
    /// The plugin's name (logs, the `plugin_name` property).
    pub name: String,
    /// The root context's id string (`plugin_root_id`).
    pub root_id: String,
    /// The VM id (`plugin_vm_id`; shared queues are named within it).
    pub vm_id: String,
    pub vm_configuration: Vec<u8>,
    pub plugin_configuration: Vec<u8>,
    /// Fuel for each callback (the engine must count fuel); `None`: unlimited.
    pub fuel_per_callback: Option<u64>,
    /// Largest linear memory, in bytes.
    pub memory_limit: Option<usize>,
    /// Messages below this level are dropped.
    pub log_level: LogLevel,
    /// Upstream names `proxy_http_call` may use.
    pub upstreams: Vec<String>,
}

impl FilterConfig {
    pub fn new(name: &str) -> FilterConfig {
        FilterConfig {
            name: name.to_string(),
            root_id: String::new(),
            vm_id: String::new(),
            vm_configuration: Vec::new(),
            plugin_configuration: Vec::new(),
            fuel_per_callback: None,
            memory_limit: None,
            log_level: LogLevel::Info,
            upstreams: Vec::new(),
        }
    }
}

/// Why a VM call failed: the filter trapped (the VM is then unusable: replace it), or
/// the VM was already broken, or the filter refused its configuration.
#[derive(Debug)]
pub enum VmError {
    Trap(String),
    Broken,
    Refused(&'static str),
    Instantiate(String),
}

impl std::fmt::Display for VmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VmError::Trap(m) => write!(f, "the filter trapped: {m}"),
            VmError::Broken => write!(f, "the VM trapped before and must be replaced"),
            VmError::Refused(what) => write!(f, "the filter refused its {what}"),
            VmError::Instantiate(m) => write!(f, "instantiating the filter: {m}"),
        }
    }
}

impl std::error::Error for VmError {}

/// What a stream callback decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Continue,
    Pause,
    /// Answer with this instead of going on (`proxy_send_local_response`).
    Respond(LocalResponse),
}

/// One HTTP stream's data while the filter sees it. The gateway fills it before each
/// callback and reads it after (the filter may change any of it).
#[derive(Default, Debug)]
pub struct StreamData {
    pub request_headers: Headers,
    pub request_body: Vec<u8>,
    pub request_trailers: Headers,
    pub response_headers: Headers,
    pub response_body: Vec<u8>,
    pub response_trailers: Headers,
    /// Properties by dotted path (`request.path`); the filter may set more.
    pub properties: HashMap<String, Vec<u8>>,
    pub local_response: Option<LocalResponse>,
    /// `proxy_continue_stream` was called for the request / the response.
    pub request_resumed: bool,
    pub response_resumed: bool,
    /// `proxy_close_stream` was called.
    pub closed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_round_trip_and_match_the_spec_example() {
        let m: Headers = vec![("a".into(), "1".into()), ("b".into(), "22".into())];
        let bytes = serialize_map(&m);
        let mut expected = vec![2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0];
        expected.extend_from_slice(b"a\x001\x00b\x0022\x00");
        assert_eq!(bytes, expected);
        assert_eq!(deserialize_map(&bytes), Some(m));
        assert_eq!(deserialize_map(&[]), Some(vec![]));
        assert_eq!(deserialize_map(&[0]), Some(vec![]));
    }

    #[test]
    fn malformed_maps_are_refused() {
        let good = serialize_map(&[("k".into(), "v".into())]);
        for cut in 1..good.len() {
            assert_eq!(deserialize_map(&good[..cut]), None, "cut at {cut}");
        }
        let mut huge = good.clone();
        huge[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(deserialize_map(&huge), None);
        let mut no_nul = good;
        let last = no_nul.len() - 1;
        no_nul[last] = b'x';
        assert_eq!(deserialize_map(&no_nul), None);
    }
}
