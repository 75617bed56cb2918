// A filter compiled once (`Filter`) and its VMs (`Vm`: one instance, one store, used by
// one worker thread): the host functions of the ABI and the calls into the filter.
// (Plain comments: `benches/runtimes` includes this file, where inner docs cannot be.)

use super::rt;
use super::rt::{Caller, Linker, Store, TypedFunc};
use super::shared::{MetricType, QueueNotifier, Shared};
use super::types::{
    buffer, deserialize_map, map, serialize_map, status, stream, AbiVersion, Action, FilterConfig,
    Headers, HttpCallRequest, HttpCallResponse, LocalResponse, LogLevel, Outcome, StreamData,
    VmError,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The store's data: what host functions see.
pub struct HostState {
    config: Arc<FilterConfig>,
    shared: Arc<Shared>,
    limits: rt::StoreLimits,
    root: u32,
    effective: u32,
    streams: HashMap<u32, StreamData>,
    call_response: Option<HttpCallResponse>,
    pending_calls: Vec<HttpCallRequest>,
    next_token: u32,
    tick_ms: u32,
    queue_notifier: Option<QueueNotifier>,
    /// This VM's token for its queue registrations (unregistered when the VM goes).
    vm_token: u64,
    /// Streams whose `proxy_on_done` answered false: they wait for `proxy_done`.
    pending_done: std::collections::HashSet<u32>,
    /// Streams that called `proxy_done` since: finished at the next VM entry.
    done: Vec<u32>,
}

/// Why a host function did not answer OK: a status for the filter, or a trap.
enum Fail {
    Status(i32),
    Trap(rt::Error),
}

impl From<rt::Error> for Fail {
    fn from(e: rt::Error) -> Fail {
        Fail::Trap(e)
    }
}

type HostResult = Result<(), Fail>;

fn answer(r: HostResult) -> rt::Result<i32> {
    match r {
        Ok(()) => Ok(status::OK),
        Err(Fail::Status(s)) => Ok(s),
        Err(Fail::Trap(e)) => Err(e),
    }
}

const MEMORY_FAULT: Fail = Fail::Status(status::INVALID_MEMORY_ACCESS);
/// Largest guest buffer a host function reads (a header map, a body chunk, a value).
const MAX_READ: usize = 16 << 20;
/// What one VM may hold in host memory through host functions, so that fuel (which counts
/// the filter's operators, not the bytes a host call copies) is not the only bound: a
/// buffer (body) at most `MAX_BUFFER`, a header map at most `MAX_FIELDS` fields and
/// `MAX_MAP_BYTES` serialised, a stream at most `MAX_PROPERTIES` properties of at most
/// `MAX_PROPERTY` bytes, at most `MAX_PENDING_CALLS` callouts of at most `MAX_CALL_BYTES`.
const MAX_BUFFER: usize = 16 << 20;
const MAX_FIELDS: usize = 1024;
const MAX_MAP_BYTES: usize = 1 << 20;
const MAX_PROPERTIES: usize = 256;
const MAX_PROPERTY: usize = 64 << 10;
const MAX_PENDING_CALLS: usize = 64;
const MAX_CALL_BYTES: usize = 4 << 20;
/// A log message is cut at this length (and not read at all below the log level).
const MAX_LOG: usize = 64 << 10;

fn too_big() -> Fail {
    Fail::Status(status::BAD_ARGUMENT)
}

/// Checks a header map about to be stored against the bounds above.
fn check_map(fields: &Headers) -> Result<(), Fail> {
    let bytes: usize = fields.iter().map(|(k, v)| k.len() + v.len() + 10).sum();
    if fields.len() > MAX_FIELDS || bytes > MAX_MAP_BYTES {
        return Err(too_big());
    }
    Ok(())
}

fn memory(c: &mut Caller<'_, HostState>) -> Result<rt::Memory, Fail> {
    c.get_export("memory")
        .and_then(|e| e.into_memory())
        .ok_or(MEMORY_FAULT)
}

fn read(c: &mut Caller<'_, HostState>, ptr: i32, len: i32) -> Result<Vec<u8>, Fail> {
    let len = len as u32 as usize;
    if len > MAX_READ {
        return Err(MEMORY_FAULT);
    }
    let mem = memory(c)?;
    // Bounds first: no allocation for a range the memory does not have.
    let end = (ptr as u32 as usize).checked_add(len).ok_or(MEMORY_FAULT)?;
    if end > mem.data_size(&*c) {
        return Err(MEMORY_FAULT);
    }
    let mut buf = vec![0; len];
    mem.read(&*c, ptr as u32 as usize, &mut buf)
        .map_err(|_| MEMORY_FAULT)?;
    Ok(buf)
}

fn read_str(c: &mut Caller<'_, HostState>, ptr: i32, len: i32) -> Result<String, Fail> {
    String::from_utf8(read(c, ptr, len)?).map_err(|_| Fail::Status(status::BAD_ARGUMENT))
}

fn write(c: &mut Caller<'_, HostState>, ptr: i32, bytes: &[u8]) -> HostResult {
    let mem = memory(c)?;
    mem.write(&mut *c, ptr as u32 as usize, bytes)
        .map_err(|_| MEMORY_FAULT)
}

fn write_u32(c: &mut Caller<'_, HostState>, ptr: i32, v: u32) -> HostResult {
    write(c, ptr, &v.to_le_bytes())
}

fn write_u64(c: &mut Caller<'_, HostState>, ptr: i32, v: u64) -> HostResult {
    write(c, ptr, &v.to_le_bytes())
}

/// Copies `bytes` into memory the filter allocates (`proxy_on_memory_allocate`, or
/// `malloc` for ABI 0.1.0) and stores the address and size at `ptr_ptr` and `ptr_size`.
/// An empty value is allocated too (a 0-byte block; an answer of 0 is then no failure):
/// SDKs turn the address into an object of their own without looking at the size.
fn give(c: &mut Caller<'_, HostState>, bytes: &[u8], ptr_ptr: i32, ptr_size: i32) -> HostResult {
    let alloc = c
        .get_export("proxy_on_memory_allocate")
        .or_else(|| c.get_export("malloc"))
        .and_then(|e| e.into_func())
        .ok_or(Fail::Status(status::INTERNAL_FAILURE))?;
    let alloc = alloc.typed::<i32, i32>(&*c)?;
    let addr = alloc.call(&mut *c, bytes.len() as i32)?;
    if addr == 0 && !bytes.is_empty() {
        return Err(Fail::Status(status::INTERNAL_FAILURE));
    }
    if !bytes.is_empty() {
        write(c, addr, bytes)?;
    }
    write_u32(c, ptr_ptr, addr as u32)?;
    write_u32(c, ptr_size, bytes.len() as u32)
}

impl HostState {
    fn stream(&mut self) -> Result<&mut StreamData, Fail> {
        self.streams
            .get_mut(&self.effective)
            .ok_or(Fail::Status(status::NOT_FOUND))
    }

    fn map(&mut self, map_type: i32) -> Result<&mut Headers, Fail> {
        Ok(match map_type {
            map::HTTP_REQUEST_HEADERS => &mut self.stream()?.request_headers,
            map::HTTP_REQUEST_TRAILERS => &mut self.stream()?.request_trailers,
            map::HTTP_RESPONSE_HEADERS => &mut self.stream()?.response_headers,
            map::HTTP_RESPONSE_TRAILERS => &mut self.stream()?.response_trailers,
            map::HTTP_CALL_RESPONSE_HEADERS | map::HTTP_CALL_RESPONSE_TRAILERS => {
                let r = self
                    .call_response
                    .as_mut()
                    .ok_or(Fail::Status(status::NOT_FOUND))?;
                if map_type == map::HTTP_CALL_RESPONSE_HEADERS {
                    &mut r.headers
                } else {
                    &mut r.trailers
                }
            }
            map::GRPC_CALL_INITIAL_METADATA | map::GRPC_CALL_TRAILING_METADATA => {
                return Err(Fail::Status(status::NOT_FOUND))
            }
            _ => return Err(Fail::Status(status::BAD_ARGUMENT)),
        })
    }

    /// A buffer to read.
    fn buffer(&mut self, buffer_type: i32) -> Result<&[u8], Fail> {
        Ok(match buffer_type {
            buffer::HTTP_REQUEST_BODY => &self.stream()?.request_body,
            buffer::HTTP_RESPONSE_BODY => &self.stream()?.response_body,
            buffer::HTTP_CALL_RESPONSE_BODY => {
                &self
                    .call_response
                    .as_ref()
                    .ok_or(Fail::Status(status::NOT_FOUND))?
                    .body
            }
            buffer::VM_CONFIGURATION => &self.config.vm_configuration,
            buffer::PLUGIN_CONFIGURATION => &self.config.plugin_configuration,
            buffer::DOWNSTREAM_DATA
            | buffer::UPSTREAM_DATA
            | buffer::GRPC_CALL_MESSAGE
            | buffer::FOREIGN_FUNCTION_ARGUMENTS => return Err(Fail::Status(status::NOT_FOUND)),
            _ => return Err(Fail::Status(status::BAD_ARGUMENT)),
        })
    }

    /// A buffer the filter may change.
    fn buffer_mut(&mut self, buffer_type: i32) -> Result<&mut Vec<u8>, Fail> {
        Ok(match buffer_type {
            buffer::HTTP_REQUEST_BODY => &mut self.stream()?.request_body,
            buffer::HTTP_RESPONSE_BODY => &mut self.stream()?.response_body,
            2..=8 => return Err(Fail::Status(status::NOT_FOUND)),
            _ => return Err(Fail::Status(status::BAD_ARGUMENT)),
        })
    }

    fn property(&mut self, path: &str) -> Option<Vec<u8>> {
        let plugin = |s: &str| Some(s.as_bytes().to_vec());
        match path {
            "plugin_name" => plugin(&self.config.name),
            "plugin_root_id" => plugin(&self.config.root_id),
            "plugin_vm_id" => plugin(&self.config.vm_id),
            _ => self
                .streams
                .get(&self.effective)
                .and_then(|s| s.properties.get(path).cloned()),
        }
    }
}

fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// A property path: segments separated by NULs, as a dotted string.
fn property_path(bytes: &[u8]) -> String {
    let trimmed = bytes.strip_suffix(&[0]).unwrap_or(bytes);
    trimmed
        .split(|b| *b == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect::<Vec<_>>()
        .join(".")
}

/// Defines `module`.`name` as a function of `params` i32 parameters that always answers
/// `answer` (what this host does not offer, and WASI calls that find nothing).
fn constant(
    linker: &mut Linker<HostState>,
    module: &str,
    name: &str,
    params: usize,
    answer: i32,
) -> rt::Result<()> {
    let ty = rt::FuncType::new(
        linker.engine(),
        std::iter::repeat_n(rt::ValType::I32, params),
        [rt::ValType::I32],
    );
    linker.func_new(module, name, ty, move |_c, _args, results| {
        results[0] = rt::Val::I32(answer);
        Ok(())
    })?;
    Ok(())
}

/// Defines every host function of the ABI (0.2.1, 0.2.0 and 0.1.0) and the WASI functions
/// the ABI lists, in `linker`.
fn define_host(linker: &mut Linker<HostState>) -> rt::Result<()> {
    let env = "env";

    // ---- logging, time, timers, context
    linker.func_wrap(
        env,
        "proxy_log",
        |mut c: Caller<'_, HostState>, level: i32, ptr: i32, len: i32| {
            answer((|| {
                let level = LogLevel::from_i32(level).ok_or(Fail::Status(status::BAD_ARGUMENT))?;
                if level < c.data().config.log_level {
                    return Ok(());
                }
                let len = (len as u32).min(MAX_LOG as u32) as i32;
                let msg = String::from_utf8_lossy(&read(&mut c, ptr, len)?).into_owned();
                let s = c.data();
                s.shared.log(&s.config.name, level, msg);
                Ok(())
            })())
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_get_log_level",
        |mut c: Caller<'_, HostState>, ptr: i32| {
            let level = c.data().config.log_level as u32;
            answer(write_u32(&mut c, ptr, level))
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_get_current_time_nanoseconds",
        |mut c: Caller<'_, HostState>, ptr: i32| {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            answer(write_u64(&mut c, ptr, now.as_nanos() as u64))
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_set_tick_period_milliseconds",
        |mut c: Caller<'_, HostState>, ms: i32| {
            c.data_mut().tick_ms = ms as u32;
            status::OK
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_set_effective_context",
        |mut c: Caller<'_, HostState>, id: i32| {
            let s = c.data_mut();
            let id = id as u32;
            if id == s.root || s.streams.contains_key(&id) {
                s.effective = id;
                status::OK
            } else {
                status::BAD_ARGUMENT
            }
        },
    )?;
    linker.func_wrap(env, "proxy_done", |mut c: Caller<'_, HostState>| {
        // Only a context waiting for it (its `proxy_on_done` answered false).
        let s = c.data_mut();
        let id = s.effective;
        if s.pending_done.remove(&id) {
            s.done.push(id);
            status::OK
        } else {
            status::NOT_FOUND
        }
    })?;

    // ---- configuration (ABI 0.1.0)
    linker.func_wrap(
        env,
        "proxy_get_configuration",
        |mut c: Caller<'_, HostState>, ptr_ptr: i32, ptr_size: i32| {
            let config = c.data().config.clone();
            answer(give(
                &mut c,
                &config.plugin_configuration,
                ptr_ptr,
                ptr_size,
            ))
        },
    )?;

    // ---- buffers
    linker.func_wrap(
        env,
        "proxy_get_buffer_bytes",
        |mut c: Caller<'_, HostState>,
         ty: i32,
         start: i32,
         max: i32,
         ptr_ptr: i32,
         ptr_size: i32| {
            answer((|| {
                let bytes = {
                    let buf = c.data_mut().buffer(ty)?;
                    let start = start as u32 as usize;
                    if start > buf.len() {
                        return Err(Fail::Status(status::BAD_ARGUMENT));
                    }
                    let end = start.saturating_add(max as u32 as usize).min(buf.len());
                    buf[start..end].to_vec()
                };
                give(&mut c, &bytes, ptr_ptr, ptr_size)
            })())
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_set_buffer_bytes",
        |mut c: Caller<'_, HostState>, ty: i32, start: i32, size: i32, ptr: i32, len: i32| {
            answer((|| {
                let data = read(&mut c, ptr, len)?;
                let buf = c.data_mut().buffer_mut(ty)?;
                let start = (start as u32 as usize).min(buf.len());
                let end = start.saturating_add(size as u32 as usize).min(buf.len());
                if buf.len() - (end - start) + data.len() > MAX_BUFFER {
                    return Err(too_big());
                }
                buf.splice(start..end, data);
                Ok(())
            })())
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_get_buffer_status",
        |mut c: Caller<'_, HostState>, ty: i32, ptr_len: i32, ptr_flags: i32| {
            answer((|| {
                let len = c.data_mut().buffer(ty)?.len() as u32;
                write_u32(&mut c, ptr_len, len)?;
                write_u32(&mut c, ptr_flags, 0)
            })())
        },
    )?;

    // ---- header maps
    linker.func_wrap(
        env,
        "proxy_get_header_map_pairs",
        |mut c: Caller<'_, HostState>, ty: i32, ptr_ptr: i32, ptr_size: i32| {
            answer((|| {
                let bytes = serialize_map(c.data_mut().map(ty)?);
                give(&mut c, &bytes, ptr_ptr, ptr_size)
            })())
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_get_header_map_size",
        |mut c: Caller<'_, HostState>, ty: i32, ptr_size: i32| {
            answer((|| {
                let size = serialize_map(c.data_mut().map(ty)?).len() as u32;
                write_u32(&mut c, ptr_size, size)
            })())
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_set_header_map_pairs",
        |mut c: Caller<'_, HostState>, ty: i32, ptr: i32, len: i32| {
            answer((|| {
                let bytes = read(&mut c, ptr, len)?;
                let fields = deserialize_map(&bytes).ok_or(Fail::Status(status::BAD_ARGUMENT))?;
                check_map(&fields)?;
                *c.data_mut().map(ty)? = fields;
                Ok(())
            })())
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_get_header_map_value",
        |mut c: Caller<'_, HostState>, ty: i32, kp: i32, kl: i32, ptr_ptr: i32, ptr_size: i32| {
            answer((|| {
                let key = read_str(&mut c, kp, kl)?;
                let value = c
                    .data_mut()
                    .map(ty)?
                    .iter()
                    .find(|(k, _)| same_name(k, &key))
                    .map(|(_, v)| v.clone())
                    .ok_or(Fail::Status(status::NOT_FOUND))?;
                give(&mut c, value.as_bytes(), ptr_ptr, ptr_size)
            })())
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_add_header_map_value",
        |mut c: Caller<'_, HostState>, ty: i32, kp: i32, kl: i32, vp: i32, vl: i32| {
            answer((|| {
                let (key, value) = (read_str(&mut c, kp, kl)?, read_str(&mut c, vp, vl)?);
                let fields = c.data_mut().map(ty)?;
                fields.push((key, value));
                if let Err(e) = check_map(fields) {
                    fields.pop();
                    return Err(e);
                }
                Ok(())
            })())
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_replace_header_map_value",
        |mut c: Caller<'_, HostState>, ty: i32, kp: i32, kl: i32, vp: i32, vl: i32| {
            answer((|| {
                let (key, value) = (read_str(&mut c, kp, kl)?, read_str(&mut c, vp, vl)?);
                let fields = c.data_mut().map(ty)?;
                match fields.iter().position(|(k, _)| same_name(k, &key)) {
                    Some(at) => {
                        if value.len() > MAX_MAP_BYTES {
                            return Err(too_big());
                        }
                        fields[at].1 = value;
                        let mut i = at + 1;
                        while i < fields.len() {
                            if same_name(&fields[i].0, &key) {
                                fields.remove(i);
                            } else {
                                i += 1;
                            }
                        }
                    }
                    None => {
                        fields.push((key, value));
                        if let Err(e) = check_map(fields) {
                            fields.pop();
                            return Err(e);
                        }
                    }
                }
                Ok(())
            })())
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_remove_header_map_value",
        |mut c: Caller<'_, HostState>, ty: i32, kp: i32, kl: i32| {
            answer((|| {
                let key = read_str(&mut c, kp, kl)?;
                c.data_mut().map(ty)?.retain(|(k, _)| !same_name(k, &key));
                Ok(())
            })())
        },
    )?;

    // ---- properties
    linker.func_wrap(
        env,
        "proxy_get_property",
        |mut c: Caller<'_, HostState>, pp: i32, pl: i32, ptr_ptr: i32, ptr_size: i32| {
            answer((|| {
                let path = property_path(&read(&mut c, pp, pl)?);
                let value = c
                    .data_mut()
                    .property(&path)
                    .ok_or(Fail::Status(status::NOT_FOUND))?;
                give(&mut c, &value, ptr_ptr, ptr_size)
            })())
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_set_property",
        |mut c: Caller<'_, HostState>, pp: i32, pl: i32, vp: i32, vl: i32| {
            answer((|| {
                let path = property_path(&read(&mut c, pp, pl)?);
                let value = read(&mut c, vp, vl)?;
                let props = &mut c.data_mut().stream()?.properties;
                if value.len() > MAX_PROPERTY
                    || (props.len() >= MAX_PROPERTIES && !props.contains_key(&path))
                {
                    return Err(too_big());
                }
                props.insert(path, value);
                Ok(())
            })())
        },
    )?;

    // ---- stream control
    linker.func_wrap(
        env,
        "proxy_send_local_response",
        |mut c: Caller<'_, HostState>,
         code: i32,
         dp: i32,
         dl: i32,
         bp: i32,
         bl: i32,
         hp: i32,
         hl: i32,
         grpc: i32| {
            answer((|| {
                let details = String::from_utf8_lossy(&read(&mut c, dp, dl)?).into_owned();
                let body = read(&mut c, bp, bl)?;
                let headers = deserialize_map(&read(&mut c, hp, hl)?)
                    .ok_or(Fail::Status(status::BAD_ARGUMENT))?;
                c.data_mut().stream()?.local_response = Some(LocalResponse {
                    status: code as u32,
                    details,
                    headers,
                    body,
                    grpc_status: grpc,
                });
                Ok(())
            })())
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_continue_stream",
        |mut c: Caller<'_, HostState>, ty: i32| {
            answer((|| {
                match ty {
                    stream::HTTP_REQUEST => c.data_mut().stream()?.request_resumed = true,
                    stream::HTTP_RESPONSE => c.data_mut().stream()?.response_resumed = true,
                    stream::DOWNSTREAM | stream::UPSTREAM => {
                        return Err(Fail::Status(status::UNIMPLEMENTED))
                    }
                    _ => return Err(Fail::Status(status::BAD_ARGUMENT)),
                }
                Ok(())
            })())
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_close_stream",
        |mut c: Caller<'_, HostState>, ty: i32| {
            answer((|| {
                if !(0..=3).contains(&ty) {
                    return Err(Fail::Status(status::BAD_ARGUMENT));
                }
                c.data_mut().stream()?.closed = true;
                Ok(())
            })())
        },
    )?;
    // ABI 0.1.0's forms.
    linker.func_wrap(
        env,
        "proxy_continue_request",
        |mut c: Caller<'_, HostState>| {
            answer(c.data_mut().stream().map(|s| s.request_resumed = true))
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_continue_response",
        |mut c: Caller<'_, HostState>| {
            answer(c.data_mut().stream().map(|s| s.response_resumed = true))
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_clear_route_cache",
        |_c: Caller<'_, HostState>| status::OK,
    )?;
    linker.func_wrap(
        env,
        "proxy_get_status",
        |mut c: Caller<'_, HostState>, ptr_code: i32, ptr_ptr: i32, ptr_size: i32| {
            answer((|| {
                let code = c
                    .data()
                    .call_response
                    .as_ref()
                    .ok_or(Fail::Status(status::NOT_FOUND))?
                    .headers
                    .iter()
                    .find(|(k, _)| k == ":status")
                    .and_then(|(_, v)| v.parse::<u32>().ok())
                    .unwrap_or(0);
                write_u32(&mut c, ptr_code, code)?;
                give(&mut c, b"", ptr_ptr, ptr_size)
            })())
        },
    )?;

    // ---- HTTP callouts
    linker.func_wrap(
        env,
        "proxy_http_call",
        |mut c: Caller<'_, HostState>,
         up: i32,
         ul: i32,
         hp: i32,
         hl: i32,
         bp: i32,
         bl: i32,
         tp: i32,
         tl: i32,
         timeout: i32,
         ptr_token: i32| {
            answer((|| {
                let upstream = read_str(&mut c, up, ul)?;
                let headers = deserialize_map(&read(&mut c, hp, hl)?)
                    .ok_or(Fail::Status(status::BAD_ARGUMENT))?;
                let body = read(&mut c, bp, bl)?;
                let trailers = deserialize_map(&read(&mut c, tp, tl)?)
                    .ok_or(Fail::Status(status::BAD_ARGUMENT))?;
                let has = |name: &str| headers.iter().any(|(k, _)| k == name);
                let s = c.data_mut();
                let known = s.config.upstreams.contains(&upstream);
                if !(known && has(":method") && has(":path") && has(":authority")) {
                    return Err(Fail::Status(status::BAD_ARGUMENT));
                }
                let size = body.len() + upstream.len();
                if s.pending_calls.len() >= MAX_PENDING_CALLS
                    || size > MAX_CALL_BYTES
                    || check_map(&headers).is_err()
                    || check_map(&trailers).is_err()
                {
                    return Err(Fail::Status(status::INTERNAL_FAILURE));
                }
                s.next_token = s.next_token.wrapping_add(1).max(1);
                let token = s.next_token;
                let context_id = s.effective;
                s.pending_calls.push(HttpCallRequest {
                    token,
                    context_id,
                    upstream,
                    headers,
                    body,
                    trailers,
                    timeout_ms: timeout as u32,
                });
                write_u32(&mut c, ptr_token, token)
            })())
        },
    )?;

    // ---- shared data
    linker.func_wrap(
        env,
        "proxy_get_shared_data",
        |mut c: Caller<'_, HostState>,
         kp: i32,
         kl: i32,
         ptr_ptr: i32,
         ptr_size: i32,
         ptr_cas: i32| {
            answer((|| {
                let key = read_str(&mut c, kp, kl)?;
                let (value, cas) = c
                    .data()
                    .shared
                    .get_data(&key)
                    .ok_or(Fail::Status(status::NOT_FOUND))?;
                give(&mut c, &value, ptr_ptr, ptr_size)?;
                write_u32(&mut c, ptr_cas, cas)
            })())
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_set_shared_data",
        |mut c: Caller<'_, HostState>, kp: i32, kl: i32, vp: i32, vl: i32, cas: i32| {
            answer((|| {
                let key = read_str(&mut c, kp, kl)?;
                let value = read(&mut c, vp, vl)?;
                match c.data().shared.set_data(&key, &value, cas as u32) {
                    status::OK => Ok(()),
                    s => Err(Fail::Status(s)),
                }
            })())
        },
    )?;

    // ---- shared queues
    linker.func_wrap(
        env,
        "proxy_register_shared_queue",
        |mut c: Caller<'_, HostState>, np: i32, nl: i32, ptr_id: i32| {
            answer((|| {
                let name = read_str(&mut c, np, nl)?;
                let s = c.data();
                let notifier = s.queue_notifier.clone().map(|n| (s.vm_token, n));
                let id = s
                    .shared
                    .register_queue(&s.config.vm_id, &name, notifier)
                    .ok_or(too_big())?;
                write_u32(&mut c, ptr_id, id)
            })())
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_resolve_shared_queue",
        |mut c: Caller<'_, HostState>, vp: i32, vl: i32, np: i32, nl: i32, ptr_id: i32| {
            answer((|| {
                let vm_id = read_str(&mut c, vp, vl)?;
                let name = read_str(&mut c, np, nl)?;
                let id = c
                    .data()
                    .shared
                    .resolve_queue(&vm_id, &name)
                    .ok_or(Fail::Status(status::NOT_FOUND))?;
                write_u32(&mut c, ptr_id, id)
            })())
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_enqueue_shared_queue",
        |mut c: Caller<'_, HostState>, id: i32, vp: i32, vl: i32| {
            answer((|| {
                let value = read(&mut c, vp, vl)?;
                match c.data().shared.enqueue(id as u32, &value) {
                    status::OK => Ok(()),
                    s => Err(Fail::Status(s)),
                }
            })())
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_dequeue_shared_queue",
        |mut c: Caller<'_, HostState>, id: i32, ptr_ptr: i32, ptr_size: i32| {
            answer((|| {
                let value = c.data().shared.dequeue(id as u32).map_err(Fail::Status)?;
                give(&mut c, &value, ptr_ptr, ptr_size)
            })())
        },
    )?;

    // ---- metrics
    linker.func_wrap(
        env,
        "proxy_define_metric",
        |mut c: Caller<'_, HostState>, ty: i32, np: i32, nl: i32, ptr_id: i32| {
            answer((|| {
                let ty = MetricType::from_i32(ty).ok_or(Fail::Status(status::BAD_ARGUMENT))?;
                let name = read_str(&mut c, np, nl)?;
                let id = c
                    .data()
                    .shared
                    .define_metric(ty, &name)
                    .ok_or(Fail::Status(status::BAD_ARGUMENT))?;
                write_u32(&mut c, ptr_id, id)
            })())
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_increment_metric",
        |c: Caller<'_, HostState>, id: i32, delta: i64| {
            c.data().shared.increment_metric(id as u32, delta)
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_record_metric",
        |c: Caller<'_, HostState>, id: i32, value: i64| {
            c.data().shared.record_metric(id as u32, value as u64)
        },
    )?;
    linker.func_wrap(
        env,
        "proxy_get_metric",
        |mut c: Caller<'_, HostState>, id: i32, ptr: i32| {
            answer((|| {
                let v = c
                    .data()
                    .shared
                    .get_metric(id as u32)
                    .ok_or(Fail::Status(status::NOT_FOUND))?;
                write_u64(&mut c, ptr, v)
            })())
        },
    )?;

    // ---- what this host does not offer: foreign functions and gRPC
    for (name, params, answer) in [
        ("proxy_call_foreign_function", 6, status::NOT_FOUND),
        ("proxy_grpc_call", 12, status::UNIMPLEMENTED),
        ("proxy_grpc_stream", 9, status::UNIMPLEMENTED),
        ("proxy_grpc_send", 4, status::UNIMPLEMENTED),
        ("proxy_grpc_cancel", 1, status::UNIMPLEMENTED),
        ("proxy_grpc_close", 1, status::UNIMPLEMENTED),
    ] {
        constant(linker, env, name, params, answer)?;
    }

    define_wasi(linker)
}

/// The WASI functions the ABI lists: output to the log, clocks, randomness, an empty
/// environment and argument list; `proc_exit` traps.
fn define_wasi(linker: &mut Linker<HostState>) -> rt::Result<()> {
    const WASI: &str = "wasi_snapshot_preview1";
    const SUCCESS: i32 = 0;
    const BADF: i32 = 8;
    const FAULT: i32 = 21;
    const NOTSUP: i32 = 58;
    let errno = |r: HostResult, or: i32| -> rt::Result<i32> {
        match r {
            Ok(()) => Ok(SUCCESS),
            Err(Fail::Status(_)) => Ok(or),
            Err(Fail::Trap(e)) => Err(e),
        }
    };
    linker.func_wrap(
        WASI,
        "fd_write",
        move |mut c: Caller<'_, HostState>, fd: i32, iovs: i32, n: i32, ptr_written: i32| {
            let level = match fd {
                1 => LogLevel::Info,
                2 => LogLevel::Error,
                _ => return Ok(BADF),
            };
            errno(
                (|| {
                    let n = n as u32;
                    if n > 1024 {
                        return Err(MEMORY_FAULT);
                    }
                    let iov = read(&mut c, iovs, (n * 8) as i32)?;
                    let mut msg = Vec::new();
                    for pair in iov.chunks_exact(8) {
                        let ptr = i32::from_le_bytes(pair[0..4].try_into().unwrap());
                        let len = i32::from_le_bytes(pair[4..8].try_into().unwrap());
                        msg.extend(read(&mut c, ptr, len)?);
                        if msg.len() > MAX_READ {
                            return Err(MEMORY_FAULT);
                        }
                    }
                    let written = msg.len() as u32;
                    let s = c.data();
                    if level >= s.config.log_level {
                        let text = String::from_utf8_lossy(&msg).trim_end().to_string();
                        s.shared.log(&s.config.name, level, text);
                    }
                    write_u32(&mut c, ptr_written, written)
                })(),
                FAULT,
            )
        },
    )?;
    linker.func_wrap(
        WASI,
        "clock_time_get",
        move |mut c: Caller<'_, HostState>, id: i32, _precision: i64, ptr: i32| {
            let now = match id {
                0 => SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default(),
                1 => monotonic(),
                _ => return Ok(NOTSUP),
            };
            errno(write_u64(&mut c, ptr, now.as_nanos() as u64), FAULT)
        },
    )?;
    linker.func_wrap(
        WASI,
        "random_get",
        move |mut c: Caller<'_, HostState>, ptr: i32, len: i32| {
            if len as u32 as usize > 1 << 16 {
                return Ok(28); // INVAL
            }
            let mut bytes = vec![0u8; len as u32 as usize];
            fill_random(&mut bytes);
            errno(write(&mut c, ptr, &bytes), FAULT)
        },
    )?;
    for name in ["environ_sizes_get", "args_sizes_get"] {
        linker.func_wrap(
            WASI,
            name,
            move |mut c: Caller<'_, HostState>, a: i32, b: i32| {
                errno(
                    write_u32(&mut c, a, 0).and_then(|()| write_u32(&mut c, b, 0)),
                    FAULT,
                )
            },
        )?;
    }
    for name in ["environ_get", "args_get"] {
        constant(linker, WASI, name, 2, SUCCESS)?;
    }
    linker.func_wrap(
        WASI,
        "proc_exit",
        |_c: Caller<'_, HostState>, code: i32| -> rt::Result<()> {
            Err(rt::Error::msg(format!(
                "the filter called proc_exit({code})"
            )))
        },
    )?;
    // What wasi-libc's start-up may ask: no preopened directories, no files.
    for (name, params) in [
        ("fd_prestat_get", 2),
        ("fd_prestat_dir_name", 3),
        ("fd_fdstat_get", 2),
        ("fd_close", 1),
    ] {
        constant(linker, WASI, name, params, BADF)?;
    }
    linker.func_wrap(
        WASI,
        "fd_seek",
        |_c: Caller<'_, HostState>, _: i32, _: i64, _: i32, _: i32| BADF,
    )?;
    constant(linker, WASI, "sched_yield", 0, SUCCESS)?;
    Ok(())
}

fn monotonic() -> Duration {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
}

/// Randomness from the operating system (`/dev/urandom`); if it cannot be read, from the
/// standard library's per-process random hasher keys.
fn fill_random(out: &mut [u8]) {
    use std::io::Read;
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(out))
        .is_ok()
    {
        return;
    }
    use std::hash::{BuildHasher, Hasher};
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(i);
        let bytes = h.finish().to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
}

/// A filter compiled once, to make VMs of (one per worker thread).
pub struct Filter {
    engine: rt::Engine,
    module: rt::Module,
    linker: Arc<Linker<HostState>>,
    config: Arc<FilterConfig>,
    shared: Arc<Shared>,
    abi: AbiVersion,
}

/// The callbacks a filter exports (each optional).
#[derive(Clone)]
struct Callbacks {
    on_context_create: Option<TypedFunc<(i32, i32), ()>>,
    on_vm_start: Option<TypedFunc<(i32, i32), i32>>,
    on_configure: Option<TypedFunc<(i32, i32), i32>>,
    on_tick: Option<TypedFunc<i32, ()>>,
    on_done: Option<TypedFunc<i32, i32>>,
    on_log: Option<TypedFunc<i32, ()>>,
    on_delete: Option<TypedFunc<i32, ()>>,
    on_request_headers: Option<FieldsCallback>,
    on_request_body: Option<TypedFunc<(i32, i32, i32), i32>>,
    on_request_trailers: Option<TypedFunc<(i32, i32), i32>>,
    on_response_headers: Option<FieldsCallback>,
    on_response_body: Option<TypedFunc<(i32, i32, i32), i32>>,
    on_response_trailers: Option<TypedFunc<(i32, i32), i32>>,
    on_http_call_response: Option<CallResponseCallback>,
    on_queue_ready: Option<TypedFunc<(i32, i32), ()>>,
}

/// `proxy_on_http_call_response(context, token, headers, body size, trailers)`.
type CallResponseCallback = TypedFunc<(i32, i32, i32, i32, i32), ()>;

/// `proxy_on_{request,response}_headers`: with `end_of_stream` (0.2.x) or without (0.1.0).
#[derive(Clone)]
enum FieldsCallback {
    WithEnd(TypedFunc<(i32, i32, i32), i32>),
    WithoutEnd(TypedFunc<(i32, i32), i32>),
}

impl Filter {
    /// Compiles `wasm` and prepares its imports. The filter must export a
    /// `proxy_abi_version_0_2_1`, `_0_2_0` or `_0_1_0` marker.
    pub fn new(
        engine: &rt::Engine,
        wasm: &[u8],
        config: FilterConfig,
        shared: Arc<Shared>,
    ) -> rt::Result<Filter> {
        let module = rt::Module::new(engine, wasm)?;
        let names: Vec<String> = module.exports().map(|e| e.name().to_string()).collect();
        let has = |n: &str| names.iter().any(|e| e == n);
        let abi = if has("proxy_abi_version_0_2_1") {
            AbiVersion::V0_2_1
        } else if has("proxy_abi_version_0_2_0") {
            AbiVersion::V0_2_0
        } else if has("proxy_abi_version_0_1_0") {
            AbiVersion::V0_1_0
        } else {
            return Err(rt::Error::msg(
                "not a proxy-wasm filter: no proxy_abi_version_0_2_1, _0_2_0 or _0_1_0 export",
            ));
        };
        let mut linker = Linker::new(engine);
        define_host(&mut linker)?;
        // Imports beyond the ABI (other WASI functions a toolchain pulled in) link, and
        // trap if called.
        linker.define_unknown_imports_as_traps(&module)?;
        Ok(Filter {
            engine: engine.clone(),
            module,
            linker: Arc::new(linker),
            config: Arc::new(config),
            shared,
            abi,
        })
    }

    pub fn abi(&self) -> AbiVersion {
        self.abi
    }

    pub fn config(&self) -> &FilterConfig {
        &self.config
    }

    /// A new VM: instantiated, started (`_initialize`/`main` or `_start`), its root
    /// context created, `proxy_on_vm_start` and `proxy_on_configure` called (both must
    /// answer true). `queue_notifier` is told of items on queues this VM registers.
    pub fn vm(&self, queue_notifier: Option<QueueNotifier>) -> Result<Vm, VmError> {
        let mut limits = rt::StoreLimitsBuilder::new();
        if let Some(m) = self.config.memory_limit {
            limits = limits.memory_size(m);
        }
        let state = HostState {
            config: self.config.clone(),
            shared: self.shared.clone(),
            limits: limits.build(),
            root: ROOT_CONTEXT,
            effective: ROOT_CONTEXT,
            streams: HashMap::new(),
            call_response: None,
            pending_calls: Vec::new(),
            next_token: 0,
            tick_ms: 0,
            queue_notifier,
            vm_token: super::shared::next_vm_token(),
            pending_done: Default::default(),
            done: Vec::new(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        let inst = |e: rt::Error| VmError::Instantiate(format!("{e:#}"));
        match self.config.fuel_per_callback {
            Some(f) => store.set_fuel(f).map_err(inst)?,
            // Unlimited; on an engine that does not count fuel this fails, harmlessly.
            None => {
                let _ = store.set_fuel(u64::MAX / 2);
            }
        }
        let instance = self
            .linker
            .instantiate(&mut store, &self.module)
            .map_err(inst)?;
        let cb = callbacks(&mut store, &instance);
        let mut vm = Vm {
            store,
            instance,
            cb,
            next_context: ROOT_CONTEXT + 1,
            broken: false,
            fuel: self.config.fuel_per_callback,
        };
        vm.start()?;
        Ok(vm)
    }
}

const ROOT_CONTEXT: u32 = 1;

fn callbacks(store: &mut Store<HostState>, instance: &rt::Instance) -> Callbacks {
    macro_rules! get {
        ($name:literal, $p:ty, $r:ty) => {
            instance.get_typed_func::<$p, $r>(&mut *store, $name).ok()
        };
    }
    let fields = |store: &mut Store<HostState>, name: &str| -> Option<FieldsCallback> {
        if let Ok(f) = instance.get_typed_func::<(i32, i32, i32), i32>(&mut *store, name) {
            return Some(FieldsCallback::WithEnd(f));
        }
        instance
            .get_typed_func::<(i32, i32), i32>(&mut *store, name)
            .ok()
            .map(FieldsCallback::WithoutEnd)
    };
    Callbacks {
        on_context_create: get!("proxy_on_context_create", (i32, i32), ()),
        on_vm_start: get!("proxy_on_vm_start", (i32, i32), i32),
        on_configure: get!("proxy_on_configure", (i32, i32), i32),
        on_tick: get!("proxy_on_tick", i32, ()),
        on_done: get!("proxy_on_done", i32, i32),
        on_log: get!("proxy_on_log", i32, ()),
        on_delete: get!("proxy_on_delete", i32, ()),
        on_request_headers: fields(store, "proxy_on_request_headers"),
        on_request_body: get!("proxy_on_request_body", (i32, i32, i32), i32),
        on_request_trailers: get!("proxy_on_request_trailers", (i32, i32), i32),
        on_response_headers: fields(store, "proxy_on_response_headers"),
        on_response_body: get!("proxy_on_response_body", (i32, i32, i32), i32),
        on_response_trailers: get!("proxy_on_response_trailers", (i32, i32), i32),
        on_http_call_response: get!("proxy_on_http_call_response", (i32, i32, i32, i32, i32), ()),
        on_queue_ready: get!("proxy_on_queue_ready", (i32, i32), ()),
    }
}

/// One instance of a filter with its store. Not shared between threads: a gateway keeps
/// one per worker thread. After a trap it answers [`VmError::Broken`]: make a new one.
pub struct Vm {
    store: Store<HostState>,
    instance: rt::Instance,
    cb: Callbacks,
    next_context: u32,
    broken: bool,
    fuel: Option<u64>,
}

impl Vm {
    fn start(&mut self) -> Result<(), VmError> {
        let init = self
            .instance
            .get_typed_func::<(), ()>(&mut self.store, "_initialize")
            .ok();
        if let Some(init) = init {
            self.call(&init, ())?;
            if let Ok(main) = self
                .instance
                .get_typed_func::<(i32, i32), i32>(&mut self.store, "main")
            {
                self.call(&main, (0, 0))?;
            }
        } else if let Ok(start) = self
            .instance
            .get_typed_func::<(), ()>(&mut self.store, "_start")
        {
            self.call(&start, ())?;
        }
        let root = ROOT_CONTEXT as i32;
        if let Some(f) = self.cb.on_context_create.clone() {
            self.call(&f, (root, 0))?;
        }
        let (vm_len, plugin_len) = {
            let c = &self.store.data().config;
            (c.vm_configuration.len(), c.plugin_configuration.len())
        };
        if let Some(f) = self.cb.on_vm_start.clone() {
            if self.call(&f, (root, vm_len as i32))? == 0 {
                return Err(VmError::Refused("VM configuration"));
            }
        }
        if let Some(f) = self.cb.on_configure.clone() {
            if self.call(&f, (root, plugin_len as i32))? == 0 {
                return Err(VmError::Refused("plugin configuration"));
            }
        }
        Ok(())
    }

    /// Calls into the filter with this callback's fuel; a trap breaks the VM.
    fn call<P: rt::WasmParams, R: rt::WasmResults>(
        &mut self,
        f: &TypedFunc<P, R>,
        args: P,
    ) -> Result<R, VmError> {
        if self.broken {
            return Err(VmError::Broken);
        }
        if let Some(fuel) = self.fuel {
            self.store
                .set_fuel(fuel)
                .map_err(|e| VmError::Trap(format!("{e:#}")))?;
        }
        f.call(&mut self.store, args).map_err(|e| {
            self.broken = true;
            VmError::Trap(format!("{e:#}"))
        })
    }

    fn with_context<R>(
        &mut self,
        id: u32,
        f: impl FnOnce(&mut Vm) -> Result<R, VmError>,
    ) -> Result<R, VmError> {
        self.store.data_mut().effective = id;
        let r = f(self);
        self.store.data_mut().effective = ROOT_CONTEXT;
        r
    }

    /// Whether a trap has made this VM unusable.
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// The tick period the filter asked for (`proxy_set_tick_period_milliseconds`).
    pub fn tick_period(&self) -> Option<Duration> {
        match self.store.data().tick_ms {
            0 => None,
            ms => Some(Duration::from_millis(ms.into())),
        }
    }

    /// `proxy_on_tick` of the root context.
    pub fn tick(&mut self) -> Result<(), VmError> {
        if let Some(f) = self.cb.on_tick.clone() {
            self.with_context(ROOT_CONTEXT, |vm| vm.call(&f, ROOT_CONTEXT as i32))?;
        }
        self.reap()
    }

    /// `proxy_on_queue_ready` of the root context.
    pub fn queue_ready(&mut self, queue_id: u32) -> Result<(), VmError> {
        if let Some(f) = self.cb.on_queue_ready.clone() {
            self.with_context(ROOT_CONTEXT, |vm| {
                vm.call(&f, (ROOT_CONTEXT as i32, queue_id as i32))
            })?;
        }
        self.reap()
    }

    /// A new HTTP stream context (`proxy_on_context_create` with the root as parent),
    /// with the properties the filter may read (`request.path`, `source.address`, ...).
    pub fn new_stream(&mut self, properties: HashMap<String, Vec<u8>>) -> Result<u32, VmError> {
        let id = self.next_context;
        self.next_context = self.next_context.checked_add(1).unwrap_or(ROOT_CONTEXT + 1);
        self.store.data_mut().streams.insert(
            id,
            StreamData {
                properties,
                ..StreamData::default()
            },
        );
        if let Some(f) = self.cb.on_context_create.clone() {
            self.with_context(id, |vm| vm.call(&f, (id as i32, ROOT_CONTEXT as i32)))?;
        }
        Ok(id)
    }

    /// The stream's data (headers, bodies, what the filter decided).
    pub fn stream(&mut self, id: u32) -> Option<&mut StreamData> {
        self.store.data_mut().streams.get_mut(&id)
    }

    fn outcome(&mut self, id: u32, action: i32) -> Outcome {
        match self.stream(id).and_then(|s| s.local_response.take()) {
            Some(r) => Outcome::Respond(r),
            // 1: stop iteration; 3 and 4 (the C++ SDK's stop-all-and-buffer and
            // -watermark) stop too; 0 and 2 (continue and end the stream) go on.
            None if action == Action::Pause as i32 || action == 3 || action == 4 => Outcome::Pause,
            None => Outcome::Continue,
        }
    }

    fn fields_callback(
        &mut self,
        id: u32,
        cb: Option<FieldsCallback>,
        count: usize,
        end: bool,
    ) -> Result<Outcome, VmError> {
        let Some(cb) = cb else {
            return Ok(Outcome::Continue);
        };
        let action = self.with_context(id, |vm| match &cb {
            FieldsCallback::WithEnd(f) => vm.call(f, (id as i32, count as i32, end as i32)),
            FieldsCallback::WithoutEnd(f) => vm.call(f, (id as i32, count as i32)),
        })?;
        Ok(self.outcome(id, action))
    }

    fn body_callback(
        &mut self,
        id: u32,
        cb: Option<TypedFunc<(i32, i32, i32), i32>>,
        len: usize,
        end: bool,
    ) -> Result<Outcome, VmError> {
        let Some(f) = cb else {
            return Ok(Outcome::Continue);
        };
        let action =
            self.with_context(id, |vm| vm.call(&f, (id as i32, len as i32, end as i32)))?;
        Ok(self.outcome(id, action))
    }

    fn trailers_callback(
        &mut self,
        id: u32,
        cb: Option<TypedFunc<(i32, i32), i32>>,
        count: usize,
    ) -> Result<Outcome, VmError> {
        let Some(f) = cb else {
            return Ok(Outcome::Continue);
        };
        let action = self.with_context(id, |vm| vm.call(&f, (id as i32, count as i32)))?;
        Ok(self.outcome(id, action))
    }

    /// `proxy_on_request_headers` over the stream's `request_headers`.
    pub fn request_headers(&mut self, id: u32, end_of_stream: bool) -> Result<Outcome, VmError> {
        let n = self.stream(id).map_or(0, |s| s.request_headers.len());
        self.fields_callback(id, self.cb.on_request_headers.clone(), n, end_of_stream)
    }

    /// `proxy_on_request_body` over the stream's `request_body`.
    pub fn request_body(&mut self, id: u32, end_of_stream: bool) -> Result<Outcome, VmError> {
        let n = self.stream(id).map_or(0, |s| s.request_body.len());
        self.body_callback(id, self.cb.on_request_body.clone(), n, end_of_stream)
    }

    /// `proxy_on_request_trailers` over the stream's `request_trailers`.
    pub fn request_trailers(&mut self, id: u32) -> Result<Outcome, VmError> {
        let n = self.stream(id).map_or(0, |s| s.request_trailers.len());
        self.trailers_callback(id, self.cb.on_request_trailers.clone(), n)
    }

    /// `proxy_on_response_headers` over the stream's `response_headers`.
    pub fn response_headers(&mut self, id: u32, end_of_stream: bool) -> Result<Outcome, VmError> {
        let n = self.stream(id).map_or(0, |s| s.response_headers.len());
        self.fields_callback(id, self.cb.on_response_headers.clone(), n, end_of_stream)
    }

    /// `proxy_on_response_body` over the stream's `response_body`.
    pub fn response_body(&mut self, id: u32, end_of_stream: bool) -> Result<Outcome, VmError> {
        let n = self.stream(id).map_or(0, |s| s.response_body.len());
        self.body_callback(id, self.cb.on_response_body.clone(), n, end_of_stream)
    }

    /// `proxy_on_response_trailers` over the stream's `response_trailers`.
    pub fn response_trailers(&mut self, id: u32) -> Result<Outcome, VmError> {
        let n = self.stream(id).map_or(0, |s| s.response_trailers.len());
        self.trailers_callback(id, self.cb.on_response_trailers.clone(), n)
    }

    /// The callouts the filter asked for since the last call.
    pub fn take_http_calls(&mut self) -> Vec<HttpCallRequest> {
        std::mem::take(&mut self.store.data_mut().pending_calls)
    }

    /// Gives the filter a callout's answer (`None`: it failed) through
    /// `proxy_on_http_call_response` of the root context (`call.context_id` is the stream
    /// that made the call, which the filter makes effective again).
    pub fn http_call_response(
        &mut self,
        call: &HttpCallRequest,
        response: Option<HttpCallResponse>,
    ) -> Result<(), VmError> {
        let Some(f) = self.cb.on_http_call_response.clone() else {
            return Ok(());
        };
        let (nh, nb, nt) = response.as_ref().map_or((0, 0, 0), |r| {
            (r.headers.len(), r.body.len(), r.trailers.len())
        });
        // A failed call (no headers) still has readable, empty maps and body: SDKs read
        // them and treat anything but OK as fatal.
        self.store.data_mut().call_response = Some(response.unwrap_or_default());
        // As the ABI says (and SDKs expect): the plugin (root) context gets the answer;
        // the filter finds the stream by the token and makes it the effective context.
        let root = ROOT_CONTEXT as i32;
        let args = (root, call.token as i32, nh as i32, nb as i32, nt as i32);
        let r = self.with_context(ROOT_CONTEXT, |vm| vm.call(&f, args));
        self.store.data_mut().call_response = None;
        r?;
        self.reap()
    }

    /// Ends a stream: `proxy_on_done`, then (when it answers true, or once the filter
    /// calls `proxy_done` from a later callback) `proxy_on_log` and `proxy_on_delete`, and
    /// the stream's data is dropped.
    pub fn finish_stream(&mut self, id: u32) -> Result<(), VmError> {
        let done = match self.cb.on_done.clone() {
            Some(f) => self.with_context(id, |vm| vm.call(&f, id as i32))? != 0,
            None => true,
        };
        if done {
            self.release(id)?;
        } else {
            // Kept (with its data) until the filter calls `proxy_done` from a later
            // callback (a tick, a callout's answer, a queue).
            self.store.data_mut().pending_done.insert(id);
        }
        self.reap()
    }

    /// `proxy_on_log` and `proxy_on_delete` of a finished stream, and its data dropped.
    fn release(&mut self, id: u32) -> Result<(), VmError> {
        let r = (|| {
            if let Some(f) = self.cb.on_log.clone() {
                self.with_context(id, |vm| vm.call(&f, id as i32))?;
            }
            if let Some(f) = self.cb.on_delete.clone() {
                self.with_context(id, |vm| vm.call(&f, id as i32))?;
            }
            Ok(())
        })();
        self.store.data_mut().streams.remove(&id);
        r
    }

    /// Releases the streams that called `proxy_done` since the last entry.
    fn reap(&mut self) -> Result<(), VmError> {
        let done = std::mem::take(&mut self.store.data_mut().done);
        for id in done {
            self.release(id)?;
        }
        Ok(())
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        let s = self.store.data();
        s.shared.unregister_queues(s.vm_token);
    }
}

impl super::ProxyFilter for Filter {
    type Engine = rt::Engine;
    type Vm = Vm;
    fn engine(kind: &str) -> Result<rt::Engine, String> {
        super::make_engine(kind).map_err(|e| format!("{e:#}"))
    }
    fn compile(
        engine: &rt::Engine,
        wasm: &[u8],
        config: FilterConfig,
        shared: Arc<Shared>,
    ) -> Result<Filter, String> {
        Filter::new(engine, wasm, config, shared).map_err(|e| format!("{e:#}"))
    }
    fn make_vm(&self, notifier: Option<QueueNotifier>) -> Result<Vm, VmError> {
        self.vm(notifier)
    }
}

impl super::ProxyVm for Vm {
    fn broken(&self) -> bool {
        self.is_broken()
    }
    fn period(&self) -> Option<Duration> {
        self.tick_period()
    }
    fn on_tick(&mut self) -> Result<(), VmError> {
        self.tick()
    }
    fn on_queue_ready(&mut self, queue_id: u32) -> Result<(), VmError> {
        self.queue_ready(queue_id)
    }
    fn open_stream(&mut self, properties: HashMap<String, Vec<u8>>) -> Result<u32, VmError> {
        self.new_stream(properties)
    }
    fn stream_data(&mut self, id: u32) -> Option<&mut StreamData> {
        self.stream(id)
    }
    fn on_request_headers(&mut self, id: u32, end_of_stream: bool) -> Result<Outcome, VmError> {
        self.request_headers(id, end_of_stream)
    }
    fn on_request_body(&mut self, id: u32, end_of_stream: bool) -> Result<Outcome, VmError> {
        self.request_body(id, end_of_stream)
    }
    fn on_response_headers(&mut self, id: u32, end_of_stream: bool) -> Result<Outcome, VmError> {
        self.response_headers(id, end_of_stream)
    }
    fn on_response_body(&mut self, id: u32, end_of_stream: bool) -> Result<Outcome, VmError> {
        self.response_body(id, end_of_stream)
    }
    fn on_request_trailers(&mut self, id: u32) -> Result<Outcome, VmError> {
        self.request_trailers(id)
    }
    fn on_response_trailers(&mut self, id: u32) -> Result<Outcome, VmError> {
        self.response_trailers(id)
    }
    fn calls(&mut self) -> Vec<HttpCallRequest> {
        self.take_http_calls()
    }
    fn on_call_response(
        &mut self,
        call: &HttpCallRequest,
        response: Option<HttpCallResponse>,
    ) -> Result<(), VmError> {
        self.http_call_response(call, response)
    }
    fn close_stream(&mut self, id: u32) -> Result<(), VmError> {
        self.finish_stream(id)
    }
}
