;; Adam over flat float32 arrays in a shared memory, four weights at a time: the data-parallel trainer's
;; optimiser step (apps/trainer src/parallel/flat-optimizer.ts has the reference loop, in JavaScript, and
;; says why it exists). Each f32x4 operation rounds exactly as one float32 operation of tfjs's Adam does, in
;; the same order, so the weights are the same bits as that loop's (and tfjs's); the JavaScript loop needs a
;; Math.fround after every operation, about 20 ns a weight, where this runs a few.
;; `npm run build:wasm` (in this package) turns this file into wasm-kernels.generated.ts.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; add(dst, src, n): dst[i] = dst[i] + src[i] for n floats. Addresses in bytes.
  (func (export "add") (param $dst i32) (param $src i32) (param $n i32)
    (local $end i32) (local $vend i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone
      (loop $v
        (br_if $vdone (i32.ge_u (local.get $dst) (local.get $vend)))
        (v128.store (local.get $dst)
          (f32x4.add (v128.load (local.get $dst)) (v128.load (local.get $src))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br $v)))
    (block $done
      (loop $s
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (f32.store (local.get $dst) (f32.add (f32.load (local.get $dst)) (f32.load (local.get $src))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (br $s))))

  ;; adam(g, m, v, w, n, beta1, beta2, oneMinusBeta1, oneMinusBeta2, epsilon, bias1, bias2, minusRate), per
  ;; weight:  m' = m·β1 + g·(1 − β1);  v' = v·β2 + (g·g)·(1 − β2);
  ;;          w' = ((m' / bias1) / (sqrt(v' / bias2) + ε))·(−rate) + w.   Addresses in bytes.
  (func (export "adam")
    (param $g i32) (param $m i32) (param $v i32) (param $w i32) (param $n i32)
    (param $beta1 f32) (param $beta2 f32) (param $omb1 f32) (param $omb2 f32) (param $eps f32)
    (param $bias1 f32) (param $bias2 f32) (param $rate f32)
    (local $end i32) (local $vend i32)
    (local $B1 v128) (local $B2 v128) (local $O1 v128) (local $O2 v128) (local $E v128)
    (local $C1 v128) (local $C2 v128) (local $R v128)
    (local $gv v128) (local $mv v128) (local $vv v128)
    (local $gs f32) (local $ms f32) (local $vs f32)
    (local.set $B1 (f32x4.splat (local.get $beta1)))
    (local.set $B2 (f32x4.splat (local.get $beta2)))
    (local.set $O1 (f32x4.splat (local.get $omb1)))
    (local.set $O2 (f32x4.splat (local.get $omb2)))
    (local.set $E (f32x4.splat (local.get $eps)))
    (local.set $C1 (f32x4.splat (local.get $bias1)))
    (local.set $C2 (f32x4.splat (local.get $bias2)))
    (local.set $R (f32x4.splat (local.get $rate)))
    (local.set $end (i32.add (local.get $g) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $g) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone
      (loop $vec
        (br_if $vdone (i32.ge_u (local.get $g) (local.get $vend)))
        (local.set $gv (v128.load (local.get $g)))
        (local.set $mv (f32x4.add (f32x4.mul (v128.load (local.get $m)) (local.get $B1))
                                  (f32x4.mul (local.get $gv) (local.get $O1))))
        (local.set $vv (f32x4.add (f32x4.mul (v128.load (local.get $v)) (local.get $B2))
                                  (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (local.get $O2))))
        (v128.store (local.get $m) (local.get $mv))
        (v128.store (local.get $v) (local.get $vv))
        (v128.store (local.get $w)
          (f32x4.add
            (f32x4.mul
              (f32x4.div (f32x4.div (local.get $mv) (local.get $C1))
                         (f32x4.add (f32x4.sqrt (f32x4.div (local.get $vv) (local.get $C2))) (local.get $E)))
              (local.get $R))
            (v128.load (local.get $w))))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $m (i32.add (local.get $m) (i32.const 16)))
        (local.set $v (i32.add (local.get $v) (i32.const 16)))
        (local.set $w (i32.add (local.get $w) (i32.const 16)))
        (br $vec)))
    (block $done
      (loop $s
        (br_if $done (i32.ge_u (local.get $g) (local.get $end)))
        (local.set $gs (f32.load (local.get $g)))
        (local.set $ms (f32.add (f32.mul (f32.load (local.get $m)) (local.get $beta1))
                                (f32.mul (local.get $gs) (local.get $omb1))))
        (local.set $vs (f32.add (f32.mul (f32.load (local.get $v)) (local.get $beta2))
                                (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $omb2))))
        (f32.store (local.get $m) (local.get $ms))
        (f32.store (local.get $v) (local.get $vs))
        (f32.store (local.get $w)
          (f32.add
            (f32.mul
              (f32.div (f32.div (local.get $ms) (local.get $bias1))
                       (f32.add (f32.sqrt (f32.div (local.get $vs) (local.get $bias2))) (local.get $eps)))
              (local.get $rate))
            (f32.load (local.get $w))))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (local.set $m (i32.add (local.get $m) (i32.const 4)))
        (local.set $v (i32.add (local.get $v) (i32.const 4)))
        (local.set $w (i32.add (local.get $w) (i32.const 4)))
        (br $s)))))
