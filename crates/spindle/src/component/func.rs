//! Component functions: calling a lifted function from the host, and the core functions
//! `canon lower` makes (a guest calling the host, or another component's function).

use crate::prelude::*;
use alloc::sync::Arc;

use spindle_component::{
    flatten_functype, lift_args, lift_results, lower_args, lower_results, CoreType, CoreVal, Cx,
    FlatContext, FuncType, HandleTable, Options, ResourceId, Resources, StringEncoding,
    Trap as AbiTrap, Val,
};

use spindle_exec::Val as ExecVal;

use super::typed::AbiCx;
use super::{components_mut, components_of, ExportedInstance, HostFunc};
use crate::store::{check_store, AsContextMut, StoreContextMut};
use crate::{Caller, Error, Memory, Result};

/// A component function in a store: lifted from a core function of one of its
/// instances (a handle, valid only with its store).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Func {
    store: u64,
    index: u32,
}

/// The canonical options a lift or a lower carries, resolved to the store's entities.
#[derive(Clone, Debug, Default)]
pub(crate) struct CanonOptions {
    pub encoding: StringEncoding,
    pub memory: Option<Memory>,
    pub realloc: Option<crate::Func>,
    pub post_return: Option<crate::Func>,
    /// `async`: the async ABI's lift or lower.
    pub is_async: bool,
    /// An async lift's `callback` (stackless: the callback loop).
    pub callback: Option<crate::Func>,
}

/// A `canon lift`: the core function, the component type, the options, and the handle
/// table of the component instance that lifted it (the callee's).
#[derive(Clone, Debug)]
pub(crate) struct LiftedFunc {
    pub core: crate::Func,
    pub ty: FuncType,
    /// Whether any parameter or result holds a handle (else lifting and lowering never
    /// look at resource owners).
    pub has_handles: bool,
    pub options: CanonOptions,
    pub table: u32,
}

/// A resource type of the store: whose it is (the handle table of the defining component
/// instance, or [`HOST_OWNER`]) and its destructor.
#[derive(Clone, Debug)]
pub(crate) struct StoreResource {
    pub owner: u32,
    pub dtor: Option<crate::Func>,
}

/// The owner of host resources (no handle table has this index).
pub(crate) const HOST_OWNER: u32 = u32::MAX;

/// The store's id for host resource type `ty` (made on first use, its destructor wrapped
/// as a core function like a guest's).
pub(crate) fn host_resource<T: 'static>(
    store: &mut StoreContextMut<'_, T>,
    ty: super::ResourceType,
    dtor: &super::HostDtor<T>,
) -> ResourceId {
    if let Some(id) = components_mut(store.inner).host_resources.get(&ty) {
        return *id;
    }
    let dtor = dtor.clone();
    let core_ty = crate::FuncType::new(store.engine(), [crate::ValType::I32], []);
    let core = crate::Func::new(
        &mut *store,
        core_ty,
        move |mut caller: Caller<'_, T>, args: &[crate::Val], _: &mut [crate::Val]| {
            let crate::Val::I32(rep) = args[0] else {
                unreachable!("an i32 by the function's type")
            };
            dtor(caller.as_context_mut(), rep as u32)
        },
    );
    let c = components_mut(store.inner);
    Arc::make_mut(&mut c.resources).push(StoreResource {
        owner: HOST_OWNER,
        dtor: Some(core),
    });
    let id = (c.resources.len() - 1) as ResourceId;
    c.host_resources.insert(ty, id);
    id
}

/// The component state of a store: its lifted functions, exported instances, the handle
/// table of each component instance, and the resource types (by `ResourceId`).
#[derive(Default, Debug)]
pub struct StoreComponents {
    /// Shared, so a call holds its function without copying its type.
    pub(crate) funcs: Vec<Arc<LiftedFunc>>,
    pub(crate) instances: Vec<ExportedInstance>,
    /// `None` while a lift or lower has the table out (see [`InstanceHandles::take`]).
    pub(crate) tables: Vec<Option<Box<HandleTable>>>,
    /// Shared, so a lift or lower holds the owners without copying them (a new resource
    /// type copies the list only while one is in flight).
    pub(crate) resources: Arc<Vec<StoreResource>>,
    /// Each component instance's parent (the instance whose component instantiated it),
    /// by handle-table index.
    pub(crate) parents: Vec<Option<u32>>,
    /// The component instances with a lifted call in progress, innermost last (the spec's
    /// chain of supertasks).
    pub(crate) active: Vec<u32>,
    /// Reused for the core arguments of calls into lifted functions.
    pub(crate) scratch_args: Vec<CoreVal>,
    /// The async ABI's state (boxed: lifting and lowering stream and future handles take
    /// it out of the store, as they take a handle table).
    pub(crate) sched: Box<super::concurrent::Sched>,
    /// The scheduler is out of the store (see [`InstanceHandles::take`]).
    pub(crate) sched_out: bool,
    /// Some component of the store uses the async ABI (an async lift or lower, or an async
    /// built-in): calls from the embedder go through the scheduler.
    pub(crate) uses_async: bool,
    /// The id each host resource type has in this store.
    pub(crate) host_resources: alloc::collections::BTreeMap<super::ResourceType, ResourceId>,
}

/// One component instance's handles as lifting and lowering see them: its table, and for
/// each resource type its owner (a borrow lowered into the instance that defines the
/// resource passes the representation itself, as the specification says).
pub(crate) struct InstanceHandles {
    /// Boxed: taking it out and putting it back moves a pointer.
    pub(crate) table: Box<HandleTable>,
    instance: u32,
    /// The resource owners, when the values may hold handles.
    resources: Option<Arc<Vec<StoreResource>>>,
    /// The scheduler, when the values may hold handles (streams, futures and error
    /// contexts are its entities).
    sched: Option<Box<super::concurrent::Sched>>,
}

impl InstanceHandles {
    /// Takes table `instance` out of the store for the time of a lift or a lower (no Wasm
    /// of that instance runs meanwhile; `realloc` must not use resource built-ins).
    /// A `realloc` that reaches the same instance again (a resource built-in, or a call
    /// back into it) finds the table out and traps, as the specification's `may_leave`
    /// and `may_enter` rules make it.
    pub(crate) fn take(s: &mut spindle_exec::Store, instance: u32) -> Result<InstanceHandles> {
        Self::take_for(s, instance, true)
    }

    /// [`InstanceHandles::take`] for values that hold handles only if `handles`.
    fn take_for(
        s: &mut spindle_exec::Store,
        instance: u32,
        handles: bool,
    ) -> Result<InstanceHandles> {
        let c = components_mut(s);
        let table = c.tables[instance as usize].take().ok_or_else(reentered)?;
        let sched = (handles && !c.sched_out).then(|| {
            c.sched_out = true;
            core::mem::take(&mut c.sched)
        });
        Ok(InstanceHandles {
            table,
            instance,
            resources: handles.then(|| c.resources.clone()),
            sched,
        })
    }

    pub(crate) fn put_back(self, s: &mut spindle_exec::Store) {
        let c = components_mut(s);
        c.tables[self.instance as usize] = Some(self.table);
        if let Some(sched) = self.sched {
            c.sched = sched;
            c.sched_out = false;
        }
    }
}

fn reentered() -> Error {
    Error::msg(
        "cannot enter component instance: it is lifting or lowering values (a realloc \
         called back into it)",
    )
}

/// Gives up the handles of the call into instance `table` that failed (see
/// [`HandleTable::abandon_call`]).
fn abandon(s: &mut spindle_exec::Store, table: u32) {
    if let Some(t) = components_mut(s).tables[table as usize].as_mut() {
        t.abandon_call();
    }
}

impl Resources for InstanceHandles {
    fn lower_own(&mut self, resource: ResourceId, rep: u32) -> Result<u32, AbiTrap> {
        self.table.lower_own(resource, rep)
    }
    fn lower_borrow(&mut self, resource: ResourceId, rep: u32) -> Result<u32, AbiTrap> {
        let owner = self
            .resources
            .as_ref()
            .and_then(|r| r.get(resource as usize))
            .map(|r| r.owner);
        if owner == Some(self.instance) {
            return Ok(rep);
        }
        self.table.lower_borrow(resource, rep)
    }
    fn lift_own(&mut self, resource: ResourceId, handle: u32) -> Result<u32, AbiTrap> {
        self.table.lift_own(resource, handle)
    }
    fn lift_borrow(&mut self, resource: ResourceId, handle: u32) -> Result<u32, AbiTrap> {
        self.table.lift_borrow(resource, handle)
    }
    fn lift_async(&mut self, ty: &spindle_component::Type, handle: u32) -> Result<u32, AbiTrap> {
        let sched = self.sched.as_mut().ok_or(AbiTrap::UnknownHandle(handle))?;
        super::concurrent::lift_async_value(sched, &mut self.table, self.instance, ty, handle)
    }
    fn lower_async(&mut self, ty: &spindle_component::Type, id: u32) -> Result<u32, AbiTrap> {
        let sched = self.sched.as_mut().ok_or(AbiTrap::UnknownHandle(id))?;
        super::concurrent::lower_async_value(sched, &mut self.table, self.instance, ty, id)
    }
}

impl Func {
    pub(crate) fn add(s: &mut spindle_exec::Store, f: LiftedFunc) -> Func {
        let store = s.id;
        let c = components_mut(s);
        c.funcs.push(Arc::new(f));
        Func {
            store,
            index: (c.funcs.len() - 1) as u32,
        }
    }

    pub(crate) fn lifted(&self, s: &spindle_exec::Store) -> Arc<LiftedFunc> {
        check_store(self.store, s.id);
        components_of(s)
            .expect("a store with component functions has component state")
            .funcs[self.index as usize]
            .clone()
    }

    /// The function's type.
    pub fn ty(&self, mut store: impl AsContextMut) -> FuncType {
        self.lifted(store.as_context_mut().inner).ty.clone()
    }

    /// Calls the function: `params` are checked against its parameter types, and
    /// `results` (as many as it has results) receive its results. The guest's
    /// `post-return`, if any, runs before this returns (so [`Func::post_return`] has
    /// nothing left to do).
    pub fn call(
        &self,
        mut store: impl AsContextMut,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        let f = self.lifted(store.as_context_mut().inner);
        // The embedder's values are checked here; the other callers' (a guest through
        // `canon lower`, a typed function) have their types by construction.
        for (v, (name, t)) in params.iter().zip(f.ty.params()) {
            v.type_check(t)
                .map_err(|e| Error::msg(format!("argument `{name}`: {e:?}")))?;
        }
        let out = call_lifted(&mut store, &f, params, None)?;
        if results.len() != out.len() {
            return Err(Error::msg(format!(
                "expected {} result slots, got {}",
                out.len(),
                results.len()
            )));
        }
        for (slot, v) in results.iter_mut().zip(out) {
            *slot = v;
        }
        Ok(())
    }

    /// This function typed: parameters `P` and results `R` (see [`super::TypedFunc`]).
    pub fn typed<P: super::ComponentNamedList, R: super::ComponentNamedList>(
        &self,
        store: impl AsContextMut,
    ) -> Result<super::TypedFunc<P, R>> {
        super::TypedFunc::new(store, *self)
    }

    /// wasmtime's second step of a call; here the post-return function already ran in
    /// [`Func::call`], so this checks the store and returns.
    pub fn post_return(&self, mut store: impl AsContextMut) -> Result<()> {
        check_store(self.store, store.as_context_mut().inner.id);
        Ok(())
    }
}

/// Whether a value of `ty` may hold a handle.
pub(crate) fn has_handles(ty: &spindle_component::Type) -> bool {
    use spindle_component::TypeKind as K;
    match ty.kind() {
        K::Own(_) | K::Borrow(_) | K::Stream(_) | K::Future(_) | K::ErrorContext => true,
        K::List(t) | K::FixedList(t, _) | K::Option(t) => has_handles(t),
        K::Record(fs) => fs.iter().any(|f| has_handles(&f.ty)),
        K::Tuple(ts) => ts.iter().any(has_handles),
        K::Variant(cs) => cs.iter().any(|c| c.ty.as_ref().is_some_and(has_handles)),
        K::Result { ok, err } => {
            ok.as_ref().is_some_and(has_handles) || err.as_ref().is_some_and(has_handles)
        }
        _ => false,
    }
}

impl StoreComponents {
    /// The top-level component instance (the one the embedder instantiated) that instance
    /// `i` belongs to.
    pub(crate) fn root_of(&self, mut i: u32) -> u32 {
        while let Some(p) = self.parents.get(i as usize).copied().flatten() {
            i = p;
        }
        i
    }

    /// Whether instance `a` is `b` or one of its ancestors.
    pub(crate) fn is_reflexive_ancestor_of(&self, a: u32, mut b: u32) -> bool {
        loop {
            if a == b {
                return true;
            }
            match self.parents.get(b as usize).copied().flatten() {
                Some(p) => b = p,
                None => return false,
            }
        }
    }

    /// The specification's `call_might_be_recursive`: from a component instance
    /// (`caller`), a call into its own ancestor or descendant; from the host, a call into
    /// an instance related (by a common ancestor) to one whose call is in progress.
    pub(crate) fn call_might_be_recursive(&self, caller: Option<u32>, callee: u32) -> bool {
        match caller {
            Some(c) => {
                self.is_reflexive_ancestor_of(c, callee) || self.is_reflexive_ancestor_of(callee, c)
            }
            None => self.active.iter().any(|&a| {
                // Some ancestor of `a` (itself included) is an ancestor of `callee`.
                let mut x = Some(a);
                while let Some(i) = x {
                    if self.is_reflexive_ancestor_of(i, callee) {
                        return true;
                    }
                    x = self.parents.get(i as usize).copied().flatten();
                }
                false
            }),
        }
    }
}

/// Calls a lifted function with `params` (of its parameter types) and returns its results.
/// `caller` is the component instance calling (through `canon lower`), `None` for the
/// host.
pub(crate) fn call_lifted<C: AsContextMut>(
    store: &mut C,
    f: &LiftedFunc,
    params: &[Val],
    caller: Option<u32>,
) -> Result<Vec<Val>> {
    if params.len() != f.ty.params().len() {
        return Err(Error::msg(format!(
            "expected {} arguments, got {}",
            f.ty.params().len(),
            params.len()
        )));
    }
    if caller.is_none() && super::concurrent::in_use(store.as_context_mut().inner) {
        return super::concurrent::call_from_host(
            &mut store.as_context_mut(),
            &Arc::new(f.clone()),
            params,
        );
    }
    call_lifted_with(
        store,
        f,
        caller,
        |cx, out| {
            out.extend(lower_args(cx, &f.ty, params).map_err(trap)?);
            Ok(())
        },
        |cx, flat| lift_results(cx, &f.ty, flat).map_err(trap),
    )
}

/// Calls a lifted function: `lower` gives the core arguments (lowering into the callee's
/// memory through the context), `lift` makes the results of the core results. The
/// handle bookkeeping, `post-return` and failure paths are here, whatever the values'
/// representation (dynamic [`Val`]s, or typed Rust values).
pub(crate) fn call_lifted_with<C: AsContextMut, Out>(
    store: &mut C,
    f: &LiftedFunc,
    caller: Option<u32>,
    lower: impl FnOnce(&mut AbiCx<'_>, &mut Vec<CoreVal>) -> Result<()>,
    lift: impl FnOnce(&mut AbiCx<'_>, &[CoreVal]) -> Result<Out>,
) -> Result<Out> {
    let c = components_mut(store.as_context_mut().inner);
    if c.sched.instance(f.table).poisoned {
        return Err(Error::msg(
            "cannot enter component instance: it trapped before",
        ));
    }
    if c.call_might_be_recursive(caller, f.table) {
        return Err(Error::msg(
            "cannot enter component instance: the call might be recursive (the instance \
             or one related to it is already running)",
        ));
    }
    c.active.push(f.table);
    let out = call_entered(store, f, lower, lift);
    let c = components_mut(store.as_context_mut().inner);
    c.active.pop();
    if out.is_err() {
        // A trap leaves the instance unusable (the store is not).
        c.sched.instance(f.table).poisoned = true;
    }
    out
}

fn call_entered<C: AsContextMut, Out>(
    store: &mut C,
    f: &LiftedFunc,
    lower: impl FnOnce(&mut AbiCx<'_>, &mut Vec<CoreVal>) -> Result<()>,
    lift: impl FnOnce(&mut AbiCx<'_>, &[CoreVal]) -> Result<Out>,
) -> Result<Out> {
    // `flatten_functype`'s result count for a lift, without building the list.
    let core_results = if f.ty.results_spilled() {
        1
    } else {
        f.ty.results_tuple().layout().flat.len()
    };
    let options = Options {
        string_encoding: f.options.encoding,
    };
    // The core arguments go into the store's scratch vector (no allocation per call; a
    // nested call finds it taken and uses a new one).
    let mut args = core::mem::take(&mut components_mut(store.as_context_mut().inner).scratch_args);
    args.clear();
    {
        let mut handles =
            InstanceHandles::take_for(store.as_context_mut().inner, f.table, f.has_handles)?;
        let lowered = {
            let mut memory = GuestMemory::new(store, &f.options);
            let mem: &mut dyn spindle_component::Memory = &mut memory;
            let res: &mut dyn Resources = &mut handles;
            let mut cx = Cx::new(mem, options, res);
            lower(&mut cx, &mut args)
        };
        handles.put_back(store.as_context_mut().inner);
        lowered?;
    }
    // At most 16 flat arguments and 1 flat result: on the stack.
    let mut arg_buf = [ExecVal::I32(0); 17];
    let core_args: &[ExecVal] = if args.len() <= arg_buf.len() {
        for (slot, v) in arg_buf.iter_mut().zip(&args) {
            *slot = to_exec(*v);
        }
        &arg_buf[..args.len()]
    } else {
        return Err(Error::msg("more core arguments than a lifted call passes"));
    };
    components_mut(store.as_context_mut().inner).scratch_args = args;
    let args = core_args;
    let mut result_buf = [ExecVal::I32(0); 1];
    let core_results = result_buf
        .get_mut(..core_results)
        .ok_or_else(|| Error::msg("more core results than a lifted call returns"))?;
    // The validator matched the core function's type against the flattened component
    // type, and `args` follow that type.
    if let Err(e) = f.core.call_numbers_trusted(&mut *store, args, core_results) {
        abandon(store.as_context_mut().inner, f.table);
        return Err(e);
    }
    let mut flat_buf = [CoreVal::I32(0); 1];
    for (slot, v) in flat_buf.iter_mut().zip(core_results.iter()) {
        *slot = from_exec(v)?;
    }
    let flat = &flat_buf[..core_results.len()];
    let out = {
        let mut handles =
            InstanceHandles::take_for(store.as_context_mut().inner, f.table, f.has_handles)?;
        let lifted = {
            let mut memory = GuestMemory::new(store, &f.options);
            let mem: &mut dyn spindle_component::Memory = &mut memory;
            let res: &mut dyn Resources = &mut handles;
            let mut cx = Cx::new(mem, options, res);
            lift(&mut cx, flat)
        };
        // The borrows the call received must all have been dropped.
        let ended = handles.table.end_call_as_callee();
        if lifted.is_err() || ended.is_err() {
            handles.table.abandon_call();
        }
        handles.put_back(store.as_context_mut().inner);
        let out = lifted?;
        ended.map_err(trap)?;
        out
    };
    if let Some(post) = f.options.post_return {
        // Validated to take the core results; the instance may not call out meanwhile.
        let s = store.as_context_mut().inner;
        components_mut(s).sched.instance(f.table).may_leave = false;
        let r = post.call_numbers_trusted(&mut *store, core_results, &mut []);
        components_mut(store.as_context_mut().inner)
            .sched
            .instance(f.table)
            .may_leave = true;
        r?;
    }
    Ok(out)
}

pub(crate) fn to_exec(v: CoreVal) -> ExecVal {
    match v {
        CoreVal::I32(x) => ExecVal::I32(x),
        CoreVal::I64(x) => ExecVal::I64(x),
        CoreVal::F32(x) => ExecVal::F32(x),
        CoreVal::F64(x) => ExecVal::F64(x),
    }
}

fn from_exec(v: &ExecVal) -> Result<CoreVal> {
    Ok(match *v {
        ExecVal::I32(x) => CoreVal::I32(x),
        ExecVal::I64(x) => CoreVal::I64(x),
        ExecVal::F32(x) => CoreVal::F32(x),
        ExecVal::F64(x) => CoreVal::F64(x),
        ref other => {
            return Err(Error::msg(format!(
                "a core result of a component call is not a number: {other:?}"
            )))
        }
    })
}

/// What a `canon lower` calls.
pub(crate) enum LowerTarget<T> {
    Host(HostFunc<T>),
    Lifted(Arc<LiftedFunc>),
}

/// The core function `canon lower` makes of `target` (of type `ty`), with the lowering
/// instance's options.
pub(crate) fn lower<T: 'static>(
    mut store: StoreContextMut<'_, T>,
    target: LowerTarget<T>,
    ty: FuncType,
    options: CanonOptions,
    table: u32,
) -> crate::Func {
    let mut core = flatten_functype(&ty, FlatContext::Lower);
    if options.is_async {
        // The async ABI's lower: at most 4 flat parameters, the results always through a
        // pointer, and the subtask's state returned.
        let flat = ty.params_tuple().layout().flat.len();
        core.params = if flat > 4 {
            vec![CoreType::I32]
        } else {
            ty.params_tuple().layout().flat.to_vec()
        };
        if !ty.results().is_empty() {
            core.params.push(CoreType::I32);
        }
        core.results = vec![CoreType::I32];
    }
    let core_ty = crate::FuncType::new(
        store.engine(),
        core.params.iter().map(|t| core_val_type(*t)),
        core.results.iter().map(|t| core_val_type(*t)),
    );
    let abi_options = Options {
        string_encoding: options.encoding,
    };
    crate::Func::new(
        &mut store,
        core_ty,
        move |mut caller: Caller<'_, T>, args: &[crate::Val], results: &mut [crate::Val]| {
            let c = components_mut(caller.as_context_mut().inner);
            if c.sched_out || !c.sched.instance(table).may_leave {
                return Err(Error::msg(super::concurrent::builtins::MAY_NOT_LEAVE));
            }
            let flat: Vec<CoreVal> = args.iter().map(from_core).collect::<Result<_>>()?;
            // (An async lower makes the store's components use the async ABI.)
            if c.uses_async {
                let mut cx = caller.as_context_mut();
                // Whether the call runs nested here, as without the async ABI: a host
                // function called synchronously, and a synchronous function called from
                // guest code the host runs nested (a start function, a destructor),
                // which cannot block anyway. Else the scheduler takes it.
                let nested = match &target {
                    LowerTarget::Lifted(_) => {
                        !options.is_async
                            && !ty.is_async()
                            && !super::concurrent::can_block(cx.inner)
                    }
                    LowerTarget::Host(_) if options.is_async => false,
                    LowerTarget::Host(_) => {
                        // A synchronous call of an async-typed function may block: not
                        // from a task that may not.
                        if ty.is_async() && !super::concurrent::current_may_block(cx.inner)? {
                            return Err(Error::msg(super::concurrent::MAY_NOT_BLOCK));
                        }
                        true
                    }
                };
                if !nested {
                    return match &target {
                        LowerTarget::Lifted(f) => {
                            super::concurrent::lower_call(&mut cx, f, &ty, &options, table, flat)
                        }
                        LowerTarget::Host(f) => {
                            let status = super::concurrent::async_lower_host(
                                &mut cx, f, &ty, &options, table, &flat,
                            )?;
                            results[0] = crate::Val::I32(status as i32);
                            Ok(())
                        }
                    };
                }
            }
            sync_lower(
                &mut caller,
                &target,
                &ty,
                &options,
                abi_options,
                table,
                &flat,
                results,
            )
        },
    )
}

/// A synchronous `canon lower` of `target` run nested: the callee runs on the native
/// stack and returns before this does.
#[allow(clippy::too_many_arguments)]
fn sync_lower<T: 'static>(
    caller: &mut Caller<'_, T>,
    target: &LowerTarget<T>,
    ty: &FuncType,
    options: &CanonOptions,
    abi_options: Options,
    table: u32,
    flat: &[CoreVal],
    results: &mut [crate::Val],
) -> Result<()> {
    if let LowerTarget::Host(f) = target {
        if let Some(direct) = &f.direct {
            let out = call_host_direct(caller, direct, ty, options, abi_options, table, flat)?;
            for (slot, v) in results.iter_mut().zip(out) {
                *slot = to_core(v);
            }
            return Ok(());
        }
    }
    let params = {
        let mut handles = InstanceHandles::take(caller.as_context_mut().inner, table)?;
        let lifted = {
            let mut memory = GuestMemory::new(caller, options);
            let mut cx = Cx::new(&mut memory, abi_options, &mut handles);
            lift_args(&mut cx, ty, flat)
        };
        if lifted.is_err() {
            handles.table.end_call_as_caller();
        }
        handles.put_back(caller.as_context_mut().inner);
        lifted.map_err(trap)?
    };
    let outs: Result<Vec<Val>> = match target {
        LowerTarget::Host(f) => {
            let mut outs = vec![Val::Bool(false); ty.results().len()];
            (f.call)(caller.as_context_mut(), ty, &params, &mut outs).and_then(|()| {
                for (v, t) in outs.iter().zip(ty.results()) {
                    v.type_check(t)
                        .map_err(|e| Error::msg(format!("host function result: {e:?}")))?;
                }
                Ok(outs)
            })
        }
        LowerTarget::Lifted(f) => call_lifted(caller, f, &params, Some(table)),
    };
    // Whatever happened, what the caller lent for the call is its own again.
    let mut handles = InstanceHandles::take(caller.as_context_mut().inner, table)?;
    let core_results = outs.and_then(|outs| {
        let mut memory = GuestMemory::new(caller, options);
        let mut cx = Cx::new(&mut memory, abi_options, &mut handles);
        lower_results(&mut cx, ty, &outs, flat).map_err(trap)
    });
    handles.table.end_call_as_caller();
    handles.put_back(caller.as_context_mut().inner);
    let core_results = core_results?;
    for (slot, v) in results.iter_mut().zip(core_results) {
        *slot = to_core(v);
    }
    Ok(())
}

/// A typed host function called by a guest: parameters lifted from the guest's core
/// arguments into Rust values, the function, Rust results lowered into core values or
/// the guest's memory; no [`Val`] on the way. Handle bookkeeping as in the dynamic path.
fn call_host_direct<T: 'static>(
    caller: &mut Caller<'_, T>,
    direct: &super::DirectHost<T>,
    ty: &FuncType,
    options: &CanonOptions,
    abi_options: Options,
    table: u32,
    flat: &[CoreVal],
) -> Result<Vec<CoreVal>> {
    let params = {
        let mut handles = InstanceHandles::take(caller.as_context_mut().inner, table)?;
        let lifted = {
            let mut memory = GuestMemory::new(&mut *caller, options);
            let mem: &mut dyn spindle_component::Memory = &mut memory;
            let res: &mut dyn Resources = &mut handles;
            let mut cx = Cx::new(mem, abi_options, res);
            (direct.lift)(&mut cx, ty, flat)
        };
        if lifted.is_err() {
            handles.table.end_call_as_caller();
        }
        handles.put_back(caller.as_context_mut().inner);
        lifted?
    };
    let returned = (direct.call)(caller.as_context_mut(), params);
    // Whatever happened, what the caller lent for the call is its own again.
    let mut handles = InstanceHandles::take(caller.as_context_mut().inner, table)?;
    let core_results = returned.and_then(|ret| {
        let mut memory = GuestMemory::new(&mut *caller, options);
        let mem: &mut dyn spindle_component::Memory = &mut memory;
        let res: &mut dyn Resources = &mut handles;
        let mut cx = Cx::new(mem, abi_options, res);
        (direct.lower)(&mut cx, ty, ret, flat)
    });
    handles.table.end_call_as_caller();
    handles.put_back(caller.as_context_mut().inner);
    core_results
}

fn core_val_type(t: CoreType) -> crate::ValType {
    match t {
        CoreType::I32 => crate::ValType::I32,
        CoreType::I64 => crate::ValType::I64,
        CoreType::F32 => crate::ValType::F32,
        CoreType::F64 => crate::ValType::F64,
    }
}

pub(crate) fn to_core(v: CoreVal) -> crate::Val {
    match v {
        CoreVal::I32(x) => crate::Val::I32(x),
        CoreVal::I64(x) => crate::Val::I64(x),
        CoreVal::F32(x) => crate::Val::F32(x),
        CoreVal::F64(x) => crate::Val::F64(x),
    }
}

pub(crate) fn from_core(v: &crate::Val) -> Result<CoreVal> {
    Ok(match *v {
        crate::Val::I32(x) => CoreVal::I32(x),
        crate::Val::I64(x) => CoreVal::I64(x),
        crate::Val::F32(x) => CoreVal::F32(x),
        crate::Val::F64(x) => CoreVal::F64(x),
        ref other => {
            return Err(Error::msg(format!(
                "a core value of a component call is not a number: {other:?}"
            )))
        }
    })
}

/// A canonical ABI trap as the embedder's error.
pub(crate) fn trap(t: AbiTrap) -> Error {
    Error::msg(format!("canonical ABI: {t}"))
}

/// A guest's memory and `realloc` as the canonical ABI sees them.
pub(crate) struct GuestMemory<'a, C: AsContextMut> {
    store: &'a mut C,
    memory: Option<Memory>,
    realloc: Option<crate::Func>,
}

impl<'a, C: AsContextMut> GuestMemory<'a, C> {
    pub(crate) fn new(store: &'a mut C, options: &CanonOptions) -> Self {
        GuestMemory {
            store,
            memory: options.memory,
            realloc: options.realloc,
        }
    }
}

impl<C: AsContextMut> spindle_component::Memory for GuestMemory<'_, C> {
    fn bytes(&self) -> &[u8] {
        match self.memory {
            Some(m) => m.data(self.store.as_context()),
            None => &[],
        }
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        match self.memory {
            Some(m) => m.data_mut(self.store.as_context_mut()),
            None => &mut [],
        }
    }

    fn realloc(
        &mut self,
        old_ptr: u32,
        old_size: u32,
        align: u32,
        new_size: u32,
    ) -> Result<u32, AbiTrap> {
        let Some(realloc) = self.realloc else {
            return Err(AbiTrap::Guest(
                "the canonical options have no `realloc`".into(),
            ));
        };
        let mut out = [ExecVal::I32(0)];
        // The validator checked `realloc`'s type: (i32 i32 i32 i32) -> i32.
        realloc
            .call_numbers_trusted(
                &mut *self.store,
                &[
                    ExecVal::I32(old_ptr as i32),
                    ExecVal::I32(old_size as i32),
                    ExecVal::I32(align as i32),
                    ExecVal::I32(new_size as i32),
                ],
                &mut out,
            )
            .map_err(|e| AbiTrap::Guest(format!("realloc: {e}")))?;
        match out[0] {
            ExecVal::I32(p) => Ok(p as u32),
            _ => Err(AbiTrap::Guest("realloc returned a non-i32".into())),
        }
    }
}

/// The core function of `canon resource.new`, `resource.rep` or `resource.drop` of
/// resource `id` in the component instance whose handle table is `table`.
pub(crate) fn resource_builtin<T: 'static>(
    mut store: StoreContextMut<'_, T>,
    kind: ResourceBuiltin,
    id: ResourceId,
    table: u32,
) -> crate::Func {
    use crate::ValType::I32;
    let (params, results): (&[crate::ValType], &[crate::ValType]) = match kind {
        ResourceBuiltin::New | ResourceBuiltin::Rep => (&[I32], &[I32]),
        ResourceBuiltin::Drop => (&[I32], &[]),
    };
    let ty = crate::FuncType::new(
        store.engine(),
        params.iter().copied(),
        results.iter().copied(),
    );
    crate::Func::new(
        &mut store,
        ty,
        move |mut caller: Caller<'_, T>, args: &[crate::Val], results: &mut [crate::Val]| {
            let crate::Val::I32(arg) = args[0] else {
                unreachable!("an i32 by the function's type")
            };
            let s = caller.as_context_mut().inner;
            let c = components_mut(s);
            if !matches!(kind, ResourceBuiltin::Rep)
                && (c.sched_out || !c.sched.instance(table).may_leave)
            {
                return Err(Error::msg(super::concurrent::builtins::MAY_NOT_LEAVE));
            }
            let tables = &mut components_mut(s).tables;
            let t = tables[table as usize].as_mut().ok_or_else(reentered)?;
            match kind {
                ResourceBuiltin::New => {
                    results[0] = crate::Val::I32(t.new_own(id, arg as u32) as i32)
                }
                ResourceBuiltin::Rep => {
                    results[0] = crate::Val::I32(t.rep(id, arg as u32).map_err(trap)? as i32)
                }
                ResourceBuiltin::Drop => {
                    let (rep, own) = t.drop_handle_kind(id, arg as u32).map_err(trap)?;
                    let dtor = components_mut(s)
                        .resources
                        .get(id as usize)
                        .ok_or_else(|| Error::msg(format!("resource type {id} is not bound")))?
                        .dtor;
                    if let (true, Some(dtor)) = (own, dtor) {
                        dtor.call(&mut caller, &[crate::Val::I32(rep as i32)], &mut [])?;
                    }
                }
            }
            Ok(())
        },
    )
}

/// Which resource built-in.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ResourceBuiltin {
    New,
    Rep,
    Drop,
}
