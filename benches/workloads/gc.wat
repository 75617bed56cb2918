;; GC: binary trees of structs (the classic allocation benchmark). A long-lived tree of
;; depth 10 stays alive throughout; for each depth d = 4, 6, .. n, 2^(n - d + 4) trees of
;; depth d are built and walked, each then garbage. run(n) = the sum of the node counts of
;; every tree walked (wrapping), plus the long-lived tree's.
(module
  (type $node (struct (field $left (ref null $node)) (field $right (ref null $node))))
  (func $make (param $d i32) (result (ref $node))
    (if (result (ref $node)) (i32.eqz (local.get $d))
      (then (struct.new $node (ref.null $node) (ref.null $node)))
      (else
        (struct.new $node
          (call $make (i32.sub (local.get $d) (i32.const 1)))
          (call $make (i32.sub (local.get $d) (i32.const 1)))))))
  (func $count (param $n (ref $node)) (result i32)
    (local $l (ref null $node))
    (local.set $l (struct.get $node $left (local.get $n)))
    (if (result i32) (ref.is_null (local.get $l))
      (then (i32.const 1))
      (else
        (i32.add (i32.const 1)
          (i32.add
            (call $count (ref.as_non_null (local.get $l)))
            (call $count (ref.as_non_null (struct.get $node $right (local.get $n)))))))))
  (func (export "run") (param $n i32) (result i32)
    (local $long (ref null $node)) (local $d i32) (local $i i32) (local $sum i32)
    (local.set $long (call $make (i32.const 10)))
    (local.set $d (i32.const 4))
    (block $done
      (loop $depths
        (br_if $done (i32.gt_s (local.get $d) (local.get $n)))
        (local.set $i (i32.shl (i32.const 1) (i32.add (i32.sub (local.get $n) (local.get $d)) (i32.const 4))))
        (loop $trees
          (local.set $sum (i32.add (local.get $sum) (call $count (call $make (local.get $d)))))
          (local.set $i (i32.sub (local.get $i) (i32.const 1)))
          (br_if $trees (i32.gt_s (local.get $i) (i32.const 0))))
        (local.set $d (i32.add (local.get $d) (i32.const 2)))
        (br $depths)))
    (i32.add (local.get $sum) (call $count (ref.as_non_null (local.get $long))))))
