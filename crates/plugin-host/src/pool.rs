//! A plugin's pool: `size` instances made in advance from one `InstancePre`, dispatched
//! round robin. Each instance keeps its state between calls and shares nothing with the
//! others; one whose call fails (a trap, out of fuel) is replaced by a fresh instance and
//! the call is reported as failed, while the other instances go on.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use spindle::component::{Component, InstancePre, Linker};
use spindle::{Engine, Store};

use crate::bindings::{PluginWorld, PluginWorldPre};
use crate::host_api::{lock, InstanceState, PluginCtx, Services};

/// What each call may use.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub fuel: u64,
    pub max_memory: usize,
    /// Epoch ticks a call may run.
    pub deadline_ticks: u64,
    /// Epoch ticks an instantiation (the guest's start and constructors) may run.
    pub init_deadline_ticks: u64,
}

struct Slot {
    store: Store<InstanceState>,
    world: PluginWorld,
}

/// The instances of one plugin.
pub(crate) struct Pool {
    pre: PluginWorldPre<InstanceState>,
    engine: Engine,
    plugin: Arc<PluginCtx>,
    services: Arc<Services>,
    slots: Vec<Mutex<Slot>>,
    next: AtomicUsize,
    limits: Limits,
}

impl Pool {
    /// Compiles `component`, links it, and makes `size` instances.
    pub(crate) fn new(
        engine: &Engine,
        linker: &Linker<InstanceState>,
        component: &Component,
        plugin: Arc<PluginCtx>,
        services: Arc<Services>,
        size: usize,
        limits: Limits,
    ) -> spindle::Result<Pool> {
        let pre: InstancePre<InstanceState> = linker.instantiate_pre(component)?;
        let pre = PluginWorldPre::new(pre)?;
        let mut pool = Pool {
            pre,
            engine: engine.clone(),
            plugin,
            services,
            slots: Vec::new(),
            next: AtomicUsize::new(0),
            limits,
        };
        for _ in 0..size.max(1) {
            let slot = pool.instantiate()?;
            pool.slots.push(Mutex::new(slot));
        }
        Ok(pool)
    }

    fn instantiate(&self) -> spindle::Result<Slot> {
        let mut store = Store::new(
            &self.engine,
            InstanceState::new(
                self.plugin.clone(),
                self.services.clone(),
                self.limits.max_memory,
            ),
        );
        store.limiter(|s| &mut s.limits);
        store.set_fuel(self.limits.fuel)?;
        store.set_epoch_deadline(self.limits.init_deadline_ticks);
        store.epoch_deadline_trap();
        let world = self.pre.instantiate(&mut store)?;
        Ok(Slot { store, world })
    }

    /// The number of instances.
    pub(crate) fn size(&self) -> usize {
        self.slots.len()
    }

    /// Calls `f` on the next instance (round robin), with the fuel budget refilled. On an
    /// error the instance is replaced (its state is lost) and the error returned.
    pub(crate) fn call<R>(
        &self,
        f: impl FnOnce(&PluginWorld, &mut Store<InstanceState>) -> spindle::Result<R>,
    ) -> spindle::Result<R> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        let mut slot = lock(&self.slots[i]);
        slot.store.set_fuel(self.limits.fuel)?;
        slot.store.set_epoch_deadline(self.limits.deadline_ticks);
        let Slot { store, world } = &mut *slot;
        let result = f(world, store);
        if result.is_err() {
            match self.instantiate() {
                Ok(fresh) => *slot = fresh,
                Err(e) => {
                    return Err(e.context("and the instance could not be replaced"));
                }
            }
        }
        result
    }
}
