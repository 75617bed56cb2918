;; The component of the component-call benchmark (benches/components.rs): `add`, `echo`
;; of a string, `sum` of a list of 8-field records, and a `counter` resource (created, a
;; method called, dropped). Hand-written so that every runtime runs the same code: a bump
;; allocator for `realloc`, reset by each function's `post-return`.
(component
  (core module $A
    (memory (export "memory") 1)
    (global $bump (mut i32) (i32.const 1024))
    (func (export "realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get $align) (i32.const 1)))
                              (i32.sub (i32.const 0) (local.get $align))))
      (global.set $bump (i32.add (local.get $p) (local.get $size)))
      (if (i32.gt_u (global.get $bump) (i32.mul (memory.size) (i32.const 65536)))
        (then (if (i32.eq (memory.grow (i32.add (i32.shr_u (i32.sub (global.get $bump)
                    (i32.mul (memory.size) (i32.const 65536))) (i32.const 16)) (i32.const 1)))
                  (i32.const -1)) (then unreachable))))
      (local.get $p))
    (func (export "reset") (param i32) (global.set $bump (i32.const 1024)))
    (func (export "reset64") (param i64) (global.set $bump (i32.const 1024)))
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    ;; echo: the string the host lowered into this memory, handed back.
    (func (export "echo") (param $ptr i32) (param $len i32) (result i32)
      (i32.store (i32.const 16) (local.get $ptr))
      (i32.store (i32.const 20) (local.get $len))
      (i32.const 16))
    ;; sum: every field of every record (8 x u32, 32 bytes each).
    (func (export "sum") (param $ptr i32) (param $len i32) (result i64)
      (local $acc i64) (local $end i32)
      (local.set $end (i32.add (local.get $ptr) (i32.shl (local.get $len) (i32.const 5))))
      (block $done
        (loop $next
          (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
          (local.set $acc (i64.add (local.get $acc) (i64.add
            (i64.add (i64.add (i64.load32_u (local.get $ptr)) (i64.load32_u offset=4 (local.get $ptr)))
                     (i64.add (i64.load32_u offset=8 (local.get $ptr)) (i64.load32_u offset=12 (local.get $ptr))))
            (i64.add (i64.add (i64.load32_u offset=16 (local.get $ptr)) (i64.load32_u offset=20 (local.get $ptr)))
                     (i64.add (i64.load32_u offset=24 (local.get $ptr)) (i64.load32_u offset=28 (local.get $ptr)))))))
          (local.set $ptr (i32.add (local.get $ptr) (i32.const 32)))
          (br $next)))
      (local.get $acc))
    ;; The counter resource: its representation is the address of its count.
    (global $next_counter (mut i32) (i32.const 64))
    (func (export "alloc-counter") (result i32)
      (local $p i32)
      (local.set $p (global.get $next_counter))
      (i32.store (local.get $p) (i32.const 0))
      (global.set $next_counter (i32.add (local.get $p) (i32.const 4)))
      (if (i32.ge_u (global.get $next_counter) (i32.const 1024))
        (then (global.set $next_counter (i32.const 64))))
      (local.get $p))
    (func (export "inc") (param $rep i32) (result i32)
      (i32.store (local.get $rep) (i32.add (i32.load (local.get $rep)) (i32.const 1)))
      (i32.load (local.get $rep)))
    (func (export "dtor") (param i32))
  )
  (core instance $a (instantiate $A))
  (alias core export $a "memory" (core memory $memory))
  (alias core export $a "realloc" (core func $realloc))

  (type $counter' (resource (rep i32) (dtor (core func $a "dtor"))))
  (export $counter "counter" (type $counter'))
  (core func $counter_new (canon resource.new $counter'))
  (core module $B
    (import "a" "alloc-counter" (func $alloc (result i32)))
    (import "a" "new" (func $new (param i32) (result i32)))
    (func (export "ctor") (result i32) (call $new (call $alloc))))
  (core instance $b (instantiate $B
    (with "a" (instance (export "alloc-counter" (func $a "alloc-counter"))
                        (export "new" (func $counter_new))))))

  (type $item' (record (field "a" u32) (field "b" u32) (field "c" u32) (field "d" u32)
                       (field "e" u32) (field "f" u32) (field "g" u32) (field "h" u32)))
  (export $item "item" (type $item'))

  (func (export "add") (param "a" u32) (param "b" u32) (result u32)
    (canon lift (core func $a "add")))
  (func (export "echo") (param "s" string) (result string)
    (canon lift (core func $a "echo") (memory $memory) (realloc $realloc) string-encoding=utf8
      (post-return (core func $a "reset"))))
  (func (export "sum") (param "items" (list $item)) (result u64)
    (canon lift (core func $a "sum") (memory $memory) (realloc $realloc)
      (post-return (core func $a "reset64"))))
  (func (export "[constructor]counter") (result (own $counter))
    (canon lift (core func $b "ctor")))
  (func (export "[method]counter.inc") (param "self" (borrow $counter)) (result u32)
    (canon lift (core func $a "inc")))
)
