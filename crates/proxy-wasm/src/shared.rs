//! What filters share across VMs (and so across worker threads): the key-value store with
//! compare-and-swap, named queues, metrics, and the log. Runtime-free.

use crate::types::{status, LogLevel};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Bounds that keep one filter from growing shared state without limit.
pub const MAX_SHARED_KEYS: usize = 100_000;
pub const MAX_SHARED_VALUE: usize = 1 << 20;
pub const MAX_QUEUE_ITEMS: usize = 10_000;
pub const MAX_METRICS: usize = 10_000;
pub const MAX_LOG_ENTRIES: usize = 10_000;
pub const MAX_QUEUES: usize = 1024;
/// Longest key, queue name or metric name.
pub const MAX_NAME: usize = 1024;

/// A number unique to each VM of the process (its queue registrations are kept under it).
pub fn next_vm_token() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Called with a queue id when an item is enqueued on a queue the VM registered (the
/// gateway then calls `Vm::on_queue_ready` on that VM's thread).
pub type QueueNotifier = Arc<dyn Fn(u32) + Send + Sync>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricType {
    Counter,
    Gauge,
    Histogram,
}

impl MetricType {
    pub fn from_i32(v: i32) -> Option<MetricType> {
        Some(match v {
            0 => MetricType::Counter,
            1 => MetricType::Gauge,
            2 => MetricType::Histogram,
            _ => return None,
        })
    }
}

/// A metric: a counter (only grows), a gauge (set or moved either way), or a histogram
/// (records values: its value is the number of records, with their sum kept).
pub struct Metric {
    pub name: String,
    pub ty: MetricType,
    value: AtomicU64,
    sum: AtomicU64,
}

impl Metric {
    pub fn value(&self) -> u64 {
        self.value.load(Ordering::Relaxed)
    }
    /// For a histogram: the sum of the recorded values.
    pub fn sum(&self) -> u64 {
        self.sum.load(Ordering::Relaxed)
    }
}

struct Queue {
    vm_id: String,
    name: String,
    items: VecDeque<Vec<u8>>,
    /// Who to tell of new items, by VM token (one entry per VM however often it registers).
    notify: Vec<(u64, QueueNotifier)>,
}

/// One log line a filter wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    pub plugin: String,
    pub level: LogLevel,
    pub message: String,
}

/// The state shared by every VM of a gateway.
#[derive(Default)]
pub struct Shared {
    data: Mutex<HashMap<String, (Vec<u8>, u32)>>,
    queues: Mutex<Vec<Queue>>,
    metrics: Mutex<Vec<Arc<Metric>>>,
    log: Mutex<VecDeque<LogEntry>>,
}

/// A poisoned lock (a panic elsewhere while it was held) still holds consistent data here:
/// every update is a single assignment.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn new() -> Arc<Shared> {
        Arc::new(Shared::default())
    }

    // ---- key-value store

    /// The value and its compare-and-swap number, if the key is set.
    pub fn get_data(&self, key: &str) -> Option<(Vec<u8>, u32)> {
        lock(&self.data).get(key).cloned()
    }

    /// Sets `key` unless `cas` is non-zero and not the key's current number.
    pub fn set_data(&self, key: &str, value: &[u8], cas: u32) -> i32 {
        if value.len() > MAX_SHARED_VALUE || key.len() > MAX_NAME {
            return status::BAD_ARGUMENT;
        }
        let mut data = lock(&self.data);
        match data.get_mut(key) {
            Some((v, c)) => {
                if cas != 0 && cas != *c {
                    return status::CAS_MISMATCH;
                }
                *v = value.to_vec();
                *c = c.wrapping_add(1).max(1);
            }
            None => {
                if cas != 0 {
                    return status::CAS_MISMATCH;
                }
                if data.len() >= MAX_SHARED_KEYS {
                    return status::INTERNAL_FAILURE;
                }
                data.insert(key.to_string(), (value.to_vec(), 1));
            }
        }
        status::OK
    }

    // ---- queues (ids are 1-based indices)

    /// Opens the queue `name` of `vm_id`, creating it; `notify` (a VM's token and
    /// notifier) is called when items arrive. `None` past the limits.
    pub fn register_queue(
        &self,
        vm_id: &str,
        name: &str,
        notify: Option<(u64, QueueNotifier)>,
    ) -> Option<u32> {
        if vm_id.len() > MAX_NAME || name.len() > MAX_NAME {
            return None;
        }
        let mut queues = lock(&self.queues);
        let at = match queues
            .iter()
            .position(|q| q.vm_id == vm_id && q.name == name)
        {
            Some(at) => at,
            None => {
                if queues.len() >= MAX_QUEUES {
                    return None;
                }
                queues.push(Queue {
                    vm_id: vm_id.to_string(),
                    name: name.to_string(),
                    items: VecDeque::new(),
                    notify: Vec::new(),
                });
                queues.len() - 1
            }
        };
        if let Some((token, n)) = notify {
            let q = &mut queues[at];
            q.notify.retain(|(t, _)| *t != token);
            q.notify.push((token, n));
        }
        Some(at as u32 + 1)
    }

    /// Forgets the notifiers of the VM with `token` (it is gone).
    pub fn unregister_queues(&self, token: u64) {
        for q in lock(&self.queues).iter_mut() {
            q.notify.retain(|(t, _)| *t != token);
        }
    }

    pub fn resolve_queue(&self, vm_id: &str, name: &str) -> Option<u32> {
        let queues = lock(&self.queues);
        queues
            .iter()
            .position(|q| q.vm_id == vm_id && q.name == name)
            .map(|at| at as u32 + 1)
    }

    pub fn enqueue(&self, id: u32, value: &[u8]) -> i32 {
        let notify = {
            let mut queues = lock(&self.queues);
            let Some(q) = (id as usize).checked_sub(1).and_then(|i| queues.get_mut(i)) else {
                return status::NOT_FOUND;
            };
            if q.items.len() >= MAX_QUEUE_ITEMS || value.len() > MAX_SHARED_VALUE {
                return status::INTERNAL_FAILURE;
            }
            q.items.push_back(value.to_vec());
            q.notify.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>()
        };
        // Outside the lock: a notifier may reach back into the queues.
        for n in notify {
            n(id);
        }
        status::OK
    }

    pub fn dequeue(&self, id: u32) -> Result<Vec<u8>, i32> {
        let mut queues = lock(&self.queues);
        let q = (id as usize)
            .checked_sub(1)
            .and_then(|i| queues.get_mut(i))
            .ok_or(status::NOT_FOUND)?;
        q.items.pop_front().ok_or(status::EMPTY)
    }

    // ---- metrics (ids are 1-based indices; one metric per name)

    pub fn define_metric(&self, ty: MetricType, name: &str) -> Option<u32> {
        if name.len() > MAX_NAME {
            return None;
        }
        let mut metrics = lock(&self.metrics);
        if let Some(at) = metrics.iter().position(|m| m.name == name) {
            return (metrics[at].ty == ty).then_some(at as u32 + 1);
        }
        if metrics.len() >= MAX_METRICS {
            return None;
        }
        metrics.push(Arc::new(Metric {
            name: name.to_string(),
            ty,
            value: AtomicU64::new(0),
            sum: AtomicU64::new(0),
        }));
        Some(metrics.len() as u32)
    }

    fn metric(&self, id: u32) -> Option<Arc<Metric>> {
        let metrics = lock(&self.metrics);
        (id as usize)
            .checked_sub(1)
            .and_then(|i| metrics.get(i))
            .cloned()
    }

    pub fn increment_metric(&self, id: u32, delta: i64) -> i32 {
        let Some(m) = self.metric(id) else {
            return status::NOT_FOUND;
        };
        match m.ty {
            MetricType::Counter if delta < 0 => status::BAD_ARGUMENT,
            MetricType::Histogram => status::BAD_ARGUMENT,
            _ => {
                m.value.fetch_add(delta as u64, Ordering::Relaxed);
                status::OK
            }
        }
    }

    pub fn record_metric(&self, id: u32, value: u64) -> i32 {
        let Some(m) = self.metric(id) else {
            return status::NOT_FOUND;
        };
        match m.ty {
            MetricType::Histogram => {
                m.value.fetch_add(1, Ordering::Relaxed);
                m.sum.fetch_add(value, Ordering::Relaxed);
            }
            _ => m.value.store(value, Ordering::Relaxed),
        }
        status::OK
    }

    pub fn get_metric(&self, id: u32) -> Option<u64> {
        self.metric(id).map(|m| m.value())
    }

    /// Every metric, in definition order.
    pub fn metrics(&self) -> Vec<Arc<Metric>> {
        lock(&self.metrics).clone()
    }

    // ---- log

    pub fn log(&self, plugin: &str, level: LogLevel, message: String) {
        let mut log = lock(&self.log);
        if log.len() >= MAX_LOG_ENTRIES {
            log.pop_front();
        }
        log.push_back(LogEntry {
            plugin: plugin.to_string(),
            level,
            message,
        });
    }

    /// The last log entries (at most `MAX_LOG_ENTRIES`), oldest first.
    pub fn log_entries(&self) -> Vec<LogEntry> {
        lock(&self.log).iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_and_swap() {
        let s = Shared::default();
        assert_eq!(s.set_data("k", b"1", 7), status::CAS_MISMATCH);
        assert_eq!(s.set_data("k", b"1", 0), status::OK);
        let (v, cas) = s.get_data("k").unwrap();
        assert_eq!(v, b"1");
        assert_eq!(s.set_data("k", b"2", cas + 1), status::CAS_MISMATCH);
        assert_eq!(s.set_data("k", b"2", cas), status::OK);
        assert_eq!(s.set_data("k", b"3", cas), status::CAS_MISMATCH);
        assert_eq!(s.get_data("k").unwrap().0, b"2");
    }

    #[test]
    fn queues_and_metrics() {
        let s = Shared::default();
        let seen = Arc::new(AtomicU64::new(0));
        let seen2 = seen.clone();
        let notifier: QueueNotifier = Arc::new(move |_| {
            seen2.fetch_add(1, Ordering::Relaxed);
        });
        let id = s
            .register_queue("vm", "q", Some((7, notifier.clone())))
            .unwrap();
        // Registering again (same VM) does not notify twice.
        assert_eq!(s.register_queue("vm", "q", Some((7, notifier))), Some(id));
        assert_eq!(s.resolve_queue("vm", "q"), Some(id));
        assert_eq!(s.resolve_queue("vm", "other"), None);
        assert_eq!(s.dequeue(id), Err(status::EMPTY));
        assert_eq!(s.enqueue(id, b"x"), status::OK);
        assert_eq!(seen.load(Ordering::Relaxed), 1);
        assert_eq!(s.dequeue(id), Ok(b"x".to_vec()));
        s.unregister_queues(7);
        assert_eq!(s.enqueue(id, b"y"), status::OK);
        assert_eq!(seen.load(Ordering::Relaxed), 1);
        assert_eq!(s.enqueue(99, b"x"), status::NOT_FOUND);

        let c = s.define_metric(MetricType::Counter, "c").unwrap();
        assert_eq!(s.define_metric(MetricType::Counter, "c"), Some(c));
        assert_eq!(s.define_metric(MetricType::Gauge, "c"), None);
        assert_eq!(s.increment_metric(c, 3), status::OK);
        assert_eq!(s.increment_metric(c, -1), status::BAD_ARGUMENT);
        assert_eq!(s.get_metric(c), Some(3));
        let h = s.define_metric(MetricType::Histogram, "h").unwrap();
        s.record_metric(h, 10);
        s.record_metric(h, 20);
        assert_eq!(s.get_metric(h), Some(2));
        assert_eq!(s.metrics()[1].sum(), 30);
    }
}
