//! `wasm_<name>_vec_t`: `{ size, data }` with `data` a heap array the vector owns (with
//! its elements). One generic layout, [`Vector`], and [`declare_vec!`] for each name's five
//! functions.

use std::ptr;

/// The C layout of every `wasm_<name>_vec_t`. Plain data: it frees nothing when dropped
/// (a C caller owns it until `wasm_<name>_vec_delete`); [`Owned`] is the dropping form.
#[repr(C)]
pub struct Vector<T> {
    pub size: usize,
    pub data: *mut T,
}

/// What a vector's elements need: a blank value for `new_uninitialized`, a deep copy for
/// `copy`, and the release `delete` performs on each.
pub trait Elem: Sized {
    fn blank() -> Self;
    fn deep_copy(&self) -> Self;
    /// Frees what the element owns.
    fn release(self) {}
}

impl Elem for u8 {
    fn blank() -> Self {
        0
    }
    fn deep_copy(&self) -> Self {
        *self
    }
}

/// A vector of owned pointers (`wasm_valtype_t *`, `wasm_extern_t *`, ...): null or a box.
impl<T: Clone> Elem for Option<Box<T>> {
    fn blank() -> Self {
        None
    }
    fn deep_copy(&self) -> Self {
        self.clone()
    }
}

impl<T> Vector<T> {
    pub fn empty() -> Self {
        Vector {
            size: 0,
            data: ptr::null_mut(),
        }
    }

    pub fn from_vec(v: Vec<T>) -> Self {
        if v.is_empty() {
            return Vector::empty();
        }
        let boxed = v.into_boxed_slice();
        let size = boxed.len();
        Vector {
            size,
            data: Box::into_raw(boxed) as *mut T,
        }
    }

    /// The elements.
    ///
    /// # Safety
    /// `data` is null (with any size taken as 0) or points to `size` initialised elements.
    pub unsafe fn as_slice(&self) -> &[T] {
        if self.data.is_null() || self.size == 0 {
            &[]
        } else {
            // SAFETY: by this function's contract.
            unsafe { std::slice::from_raw_parts(self.data, self.size) }
        }
    }

    /// # Safety
    /// As [`Vector::as_slice`].
    pub unsafe fn as_mut_slice(&mut self) -> &mut [T] {
        if self.data.is_null() || self.size == 0 {
            &mut []
        } else {
            // SAFETY: by this function's contract.
            unsafe { std::slice::from_raw_parts_mut(self.data, self.size) }
        }
    }

    /// Takes the elements out, leaving the vector empty.
    ///
    /// # Safety
    /// The vector was made by [`Vector::from_vec`] (so `data` is a boxed slice of `size`).
    pub unsafe fn take(&mut self) -> Vec<T> {
        if self.data.is_null() {
            self.size = 0;
            return Vec::new();
        }
        let slice = ptr::slice_from_raw_parts_mut(self.data, self.size);
        self.data = ptr::null_mut();
        self.size = 0;
        // SAFETY: by this function's contract the pointer and size are a boxed slice's.
        unsafe { Box::from_raw(slice) }.into_vec()
    }
}

/// A vector this library owns inside another object (a function type's parameters):
/// freed with it, deep-copied with it.
#[repr(transparent)]
pub struct Owned<T: Elem>(pub Vector<T>);

impl<T: Elem> Owned<T> {
    pub fn new(v: Vec<T>) -> Self {
        Owned(Vector::from_vec(v))
    }
    pub fn as_slice(&self) -> &[T] {
        // SAFETY: an `Owned` is always made by `Vector::from_vec`.
        unsafe { self.0.as_slice() }
    }
}

impl<T: Elem> Clone for Owned<T> {
    fn clone(&self) -> Self {
        Owned::new(self.as_slice().iter().map(Elem::deep_copy).collect())
    }
}

impl<T: Elem> Drop for Owned<T> {
    fn drop(&mut self) {
        // SAFETY: an `Owned` is always made by `Vector::from_vec`.
        for e in unsafe { self.0.take() } {
            e.release();
        }
    }
}

/// The five functions of `WASM_DECLARE_VEC(name)` for the vector type `$vec` of `$elem`.
macro_rules! declare_vec {
    ($vec:ty, $elem:ty, $new_empty:ident, $new_uninit:ident, $new:ident, $copy:ident, $delete:ident) => {
        #[no_mangle]
        pub unsafe extern "C" fn $new_empty(out: *mut $vec) {
            // SAFETY: `out` is writable (the header's contract for `out`).
            unsafe { out.write($crate::vec::Vector::empty()) }
        }

        #[no_mangle]
        pub unsafe extern "C" fn $new_uninit(out: *mut $vec, size: usize) {
            let v = (0..size)
                .map(|_| <$elem as $crate::vec::Elem>::blank())
                .collect();
            // SAFETY: `out` is writable.
            unsafe { out.write($crate::vec::Vector::from_vec(v)) }
        }

        /// Takes ownership of the `size` elements at `data`.
        #[no_mangle]
        pub unsafe extern "C" fn $new(out: *mut $vec, size: usize, data: *const $elem) {
            let v = if size == 0 || data.is_null() {
                Vec::new()
            } else {
                // SAFETY: `data` holds `size` elements whose ownership passes to us, so
                // each is moved out bitwise exactly once.
                (0..size).map(|i| unsafe { data.add(i).read() }).collect()
            };
            // SAFETY: `out` is writable.
            unsafe { out.write($crate::vec::Vector::from_vec(v)) }
        }

        #[no_mangle]
        pub unsafe extern "C" fn $copy(out: *mut $vec, src: *const $vec) {
            // SAFETY: `src` is a live vector.
            let v = unsafe { (*src).as_slice() }
                .iter()
                .map($crate::vec::Elem::deep_copy)
                .collect();
            // SAFETY: `out` is writable.
            unsafe { out.write($crate::vec::Vector::from_vec(v)) }
        }

        #[no_mangle]
        pub unsafe extern "C" fn $delete(v: *mut $vec) {
            // SAFETY: `v` is null or a vector made by one of the functions above (every
            // vector the C side can hold is: the header gives no other constructor).
            if let Some(v) = unsafe { v.as_mut() } {
                for e in unsafe { v.take() } {
                    $crate::vec::Elem::release(e);
                }
            }
        }
    };
}
pub(crate) use declare_vec;

pub type wasm_byte_vec_t = Vector<u8>;

declare_vec!(
    wasm_byte_vec_t,
    u8,
    wasm_byte_vec_new_empty,
    wasm_byte_vec_new_uninitialized,
    wasm_byte_vec_new,
    wasm_byte_vec_copy,
    wasm_byte_vec_delete
);
