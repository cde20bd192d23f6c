;; MaxPoolGrad of the usual 2×2 pool with stride 2 and no padding, as a wasm SIMD kernel on the tfjs wasm
;; backend's own memory (see max-pool-grad.ts for the rule it follows and wasm-simd.ts for how it is bound).
;; `npm run build:wasm` (in this package) turns this file into wasm-kernels.generated.ts.
;;
;; Four channels at a time: the window's taps are compared in row-major order with a strict >, as the cpu
;; backend and TensorFlow do, so the first of tied maxima (and of NaNs: every comparison with NaN is false)
;; wins. Each tap of dx is then written once: dy where the tap won, 0 where it did not. So dx needs no zeros
;; beforehand except in the rows and columns no window covers.
(module
  (import "env" "memory" (memory 1))

  ;; maxpool2grad(x, dy, dx, n, h, w, c, ho, wo): x and dx [n, h, w, c], dy [n, ho, wo, c], all f32;
  ;; c a multiple of 4, 2·ho ≤ h, 2·wo ≤ w, n·ho·wo ≥ 1. Addresses in bytes.
  (func (export "maxpool2grad")
    (param $x i32) (param $dy i32) (param $dx i32) (param $n i32) (param $h i32) (param $w i32)
    (param $c i32) (param $ho i32) (param $wo i32)
    (local $row i32) (local $rows i32) (local $b i32) (local $j i32) (local $p i32) (local $o i32)
    (local $end i32) (local $cb i32) (local $wb i32) (local $delta i32)
    (local $x00 v128) (local $x01 v128) (local $x10 v128) (local $x11 v128) (local $m v128)
    (local $g1 v128) (local $g2 v128) (local $g3 v128) (local $d v128)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $wb (i32.mul (local.get $w) (local.get $cb)))
    (local.set $delta (i32.sub (local.get $dx) (local.get $x)))
    (local.set $rows (i32.mul (local.get $n) (local.get $ho)))
    (local.set $o (local.get $dy))
    (loop $windowRows
      ;; window row `row` = (b, i) starts at x row b·h + 2i
      (local.set $b (i32.div_u (local.get $row) (local.get $ho)))
      (local.set $p (i32.add (local.get $x) (i32.mul (local.get $wb)
        (i32.add (i32.mul (local.get $b) (local.get $h))
          (i32.shl (i32.sub (local.get $row) (i32.mul (local.get $b) (local.get $ho))) (i32.const 1))))))
      (local.set $j (i32.const 0))
      (loop $windows
        (local.set $end (i32.add (local.get $p) (local.get $cb)))
        (loop $channels
          (local.set $x00 (v128.load (local.get $p)))
          (local.set $x01 (v128.load (i32.add (local.get $p) (local.get $cb))))
          (local.set $x10 (v128.load (i32.add (local.get $p) (local.get $wb))))
          (local.set $x11 (v128.load (i32.add (i32.add (local.get $p) (local.get $wb)) (local.get $cb))))
          (local.set $g1 (f32x4.gt (local.get $x01) (local.get $x00)))
          (local.set $m (v128.bitselect (local.get $x01) (local.get $x00) (local.get $g1)))
          (local.set $g2 (f32x4.gt (local.get $x10) (local.get $m)))
          (local.set $m (v128.bitselect (local.get $x10) (local.get $m) (local.get $g2)))
          (local.set $g3 (f32x4.gt (local.get $x11) (local.get $m)))
          (local.set $d (v128.load (local.get $o)))
          ;; tap 3 wins where g3; tap 2 where g2 and not g3; tap 1 where g1 and neither later; else tap 0
          (v128.store (i32.add (i32.add (i32.add (local.get $p) (local.get $delta)) (local.get $wb)) (local.get $cb))
            (v128.and (local.get $d) (local.get $g3)))
          (local.set $d (v128.andnot (local.get $d) (local.get $g3)))
          (v128.store (i32.add (i32.add (local.get $p) (local.get $delta)) (local.get $wb))
            (v128.and (local.get $d) (local.get $g2)))
          (local.set $d (v128.andnot (local.get $d) (local.get $g2)))
          (v128.store (i32.add (i32.add (local.get $p) (local.get $delta)) (local.get $cb))
            (v128.and (local.get $d) (local.get $g1)))
          (v128.store (i32.add (local.get $p) (local.get $delta)) (v128.andnot (local.get $d) (local.get $g1)))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br_if $channels (i32.lt_u (local.get $p) (local.get $end))))
        ;; past the window's second column
        (local.set $p (i32.add (local.get $p) (local.get $cb)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $windows (i32.lt_u (local.get $j) (local.get $wo))))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br_if $windowRows (i32.lt_u (local.get $row) (local.get $rows))))))
