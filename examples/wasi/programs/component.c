/* The entry points of the WASI 0.2 component build (a reactor; see build.sh):
 *
 * - `_start`, which the preview-1 adapter's `wasi:cli/run` calls: the C runtime's main
 *   (its constructors ran from `_initialize`, which the component runs when it is
 *   instantiated), then exit with its status.
 * - `cabi_realloc`, through which the adapter allocates its state and stack from this
 *   module's malloc. Without it the adapter grows memory itself, and this wasi-libc's
 *   malloc, which takes all memory up to the current size as its first heap, would
 *   hand the adapter's pages out again once the heap is large enough (SQLite's is).
 *
 * Built as a reactor because wasm-ld wraps every export of a command in constructor and
 * destructor calls, and destructors inside `cabi_realloc` would flush stdio in the
 * middle of a host call. */
#include <stdlib.h>
#include <string.h>

int __main_void(void);

__attribute__((export_name("_start"))) void start(void) { exit(__main_void()); }

__attribute__((export_name("cabi_realloc"))) void *cabi_realloc(void *old, size_t old_size,
                                                                size_t align, size_t new_size) {
  (void)old_size;
  if (new_size == 0) return (void *)align;
  if (old == NULL) return aligned_alloc(align, (new_size + align - 1) / align * align);
  void *p = aligned_alloc(align, (new_size + align - 1) / align * align);
  if (p != NULL) memcpy(p, old, old_size < new_size ? old_size : new_size);
  free(old);
  return p;
}
