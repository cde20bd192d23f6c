;; A 2D convolution (dilation 1) as a register-blocked wasm SIMD kernel on the tfjs wasm backend's own memory:
;; it reads x and W and writes y where tfjs keeps them, no copies. See conv2d.ts for when it is used, and
;; wasm-simd.ts for how it is bound. `npm run build:wasm` (in this package) assembles it, with a fused twin
;; (each `acc + s · w` one relaxed-SIMD f32x4.relaxed_madd) that engines with relaxed SIMD run.
;;
;; With x zero-padded so that tap (a, b) of output pixel (n, i, j) reads x[n, i·sh + a, j·sw + b, ·]:
;;
;;   y[n, i, j, co] = Σ_a Σ_m x[n, i·sh + a, j·sw, m] · W_a[m, co]      m = b·Ci + ci over KW·Ci
;;
;; since the KW·Ci values x[n, i·sh + a, j·sw + b, ci] of a kernel row lie side by side in NHWC memory, and so
;; do W[a, b, ci, ·]. A tile of 4 output pixels of a row × 8 output channels lives in 8 v128 locals while m
;; runs (2 loads of W, 4 load-splats of x, 8 multiplies and 8 adds each); the row's last pixels, fewer than
;; 4, go through the same loop one at a time. W's 8 columns for one tile (KH·KW·Ci·8 floats) and the x rows a
;; tile reads stay in the core's caches across the row.
(module
  (import "env" "memory" (memory 1))

  ;; conv2d(x, w, y, rows, ho, wo, hp, wp, ci, co, kh, kw, sh, sw): y = x ⊛ w.
  ;;   x [N, hp, wp, ci] f32, padded; w [kh, kw, ci, co] f32; y [N, ho, wo, co] f32, with rows = N·ho ≥ 1.
  ;;   co is a multiple of 8; wo ≥ 1. Addresses in bytes.
  (func (export "conv2d")
    (param $x i32) (param $w i32) (param $y i32) (param $rows i32) (param $ho i32) (param $wo i32)
    (param $hp i32) (param $wp i32) (param $ci i32) (param $co i32) (param $kh i32) (param $kw i32)
    (param $sh i32) (param $sw i32)
    (local $r i32) (local $n i32) (local $c0 i32) (local $j i32) (local $a i32) (local $xrow i32)
    (local $xp i32) (local $wptr i32) (local $mend i32) (local $pstep i32) (local $cob i32) (local $out i32)
    (local $rowb i32) (local $kwcib i32) (local $wab i32)
    (local $w0 v128) (local $w1 v128) (local $s v128)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local $acc4 v128) (local $acc5 v128) (local $acc6 v128) (local $acc7 v128)
    (local.set $cob (i32.shl (local.get $co) (i32.const 2)))
    (local.set $pstep (i32.shl (i32.mul (local.get $sw) (local.get $ci)) (i32.const 2)))
    (local.set $rowb (i32.shl (i32.mul (local.get $wp) (local.get $ci)) (i32.const 2)))
    (local.set $kwcib (i32.shl (i32.mul (local.get $kw) (local.get $ci)) (i32.const 2)))
    ;; bytes of W per kernel row a, and per input channel m: W_a[m, ·] is co floats
    (local.set $wab (i32.mul (i32.mul (local.get $kw) (local.get $ci)) (local.get $cob)))
    (loop $outrows
      ;; output row r = (n, i) reads x rows n·hp + i·sh + a
      (local.set $n (i32.div_u (local.get $r) (local.get $ho)))
      (local.set $xrow (i32.add (local.get $x) (i32.mul (local.get $rowb)
        (i32.add (i32.mul (local.get $n) (local.get $hp))
          (i32.mul (i32.sub (local.get $r) (i32.mul (local.get $n) (local.get $ho))) (local.get $sh))))))
      (local.set $c0 (i32.const 0))
      (loop $ctiles
        (local.set $j (i32.const 0))
        ;; four pixels at a time while four remain
        (if (i32.ge_u (local.get $wo) (i32.const 4))
          (then
            (loop $ptiles
              (local.set $acc0 (v128.const i32x4 0 0 0 0)) (local.set $acc1 (v128.const i32x4 0 0 0 0))
              (local.set $acc2 (v128.const i32x4 0 0 0 0)) (local.set $acc3 (v128.const i32x4 0 0 0 0))
              (local.set $acc4 (v128.const i32x4 0 0 0 0)) (local.set $acc5 (v128.const i32x4 0 0 0 0))
              (local.set $acc6 (v128.const i32x4 0 0 0 0)) (local.set $acc7 (v128.const i32x4 0 0 0 0))
              (local.set $a (i32.const 0))
              (loop $taps
                (local.set $xp (i32.add
                  (i32.add (local.get $xrow) (i32.mul (local.get $a) (local.get $rowb)))
                  (i32.mul (local.get $j) (local.get $pstep))))
                (local.set $mend (i32.add (local.get $xp) (local.get $kwcib)))
                (local.set $wptr (i32.add (i32.add (local.get $w) (i32.mul (local.get $a) (local.get $wab)))
                  (i32.shl (local.get $c0) (i32.const 2))))
                (loop $m
                  (local.set $w0 (v128.load (local.get $wptr)))
                  (local.set $w1 (v128.load offset=16 (local.get $wptr)))
                  (local.set $s (v128.load32_splat (local.get $xp)))
                  (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $s) (local.get $w0))))
                  (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $s) (local.get $w1))))
                  (local.set $s (v128.load32_splat (i32.add (local.get $xp) (local.get $pstep))))
                  (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $s) (local.get $w0))))
                  (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (local.get $s) (local.get $w1))))
                  (local.set $s (v128.load32_splat (i32.add (local.get $xp) (i32.shl (local.get $pstep) (i32.const 1)))))
                  (local.set $acc4 (f32x4.add (local.get $acc4) (f32x4.mul (local.get $s) (local.get $w0))))
                  (local.set $acc5 (f32x4.add (local.get $acc5) (f32x4.mul (local.get $s) (local.get $w1))))
                  (local.set $s (v128.load32_splat (i32.add (local.get $xp) (i32.mul (local.get $pstep) (i32.const 3)))))
                  (local.set $acc6 (f32x4.add (local.get $acc6) (f32x4.mul (local.get $s) (local.get $w0))))
                  (local.set $acc7 (f32x4.add (local.get $acc7) (f32x4.mul (local.get $s) (local.get $w1))))
                  (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
                  (local.set $wptr (i32.add (local.get $wptr) (local.get $cob)))
                  (br_if $m (i32.lt_u (local.get $xp) (local.get $mend))))
                (local.set $a (i32.add (local.get $a) (i32.const 1)))
                (br_if $taps (i32.lt_u (local.get $a) (local.get $kh))))
              ;; y[n, i, j + q, c0 .. c0 + 8] = tile row q
              (local.set $out (i32.add (local.get $y) (i32.shl
                (i32.add (i32.mul (i32.add (i32.mul (local.get $r) (local.get $wo)) (local.get $j)) (local.get $co))
                  (local.get $c0))
                (i32.const 2))))
              (v128.store (local.get $out) (local.get $acc0))
              (v128.store offset=16 (local.get $out) (local.get $acc1))
              (local.set $out (i32.add (local.get $out) (local.get $cob)))
              (v128.store (local.get $out) (local.get $acc2))
              (v128.store offset=16 (local.get $out) (local.get $acc3))
              (local.set $out (i32.add (local.get $out) (local.get $cob)))
              (v128.store (local.get $out) (local.get $acc4))
              (v128.store offset=16 (local.get $out) (local.get $acc5))
              (local.set $out (i32.add (local.get $out) (local.get $cob)))
              (v128.store (local.get $out) (local.get $acc6))
              (v128.store offset=16 (local.get $out) (local.get $acc7))
              (local.set $j (i32.add (local.get $j) (i32.const 4)))
              (br_if $ptiles (i32.le_u (i32.add (local.get $j) (i32.const 4)) (local.get $wo))))))
        ;; the last pixels of the row, one at a time
        (block $done
          (loop $singles
            (br_if $done (i32.ge_u (local.get $j) (local.get $wo)))
            (local.set $acc0 (v128.const i32x4 0 0 0 0)) (local.set $acc1 (v128.const i32x4 0 0 0 0))
            (local.set $a (i32.const 0))
            (loop $taps1
              (local.set $xp (i32.add
                (i32.add (local.get $xrow) (i32.mul (local.get $a) (local.get $rowb)))
                (i32.mul (local.get $j) (local.get $pstep))))
              (local.set $mend (i32.add (local.get $xp) (local.get $kwcib)))
              (local.set $wptr (i32.add (i32.add (local.get $w) (i32.mul (local.get $a) (local.get $wab)))
                (i32.shl (local.get $c0) (i32.const 2))))
              (loop $m1
                (local.set $w0 (v128.load (local.get $wptr)))
                (local.set $w1 (v128.load offset=16 (local.get $wptr)))
                (local.set $s (v128.load32_splat (local.get $xp)))
                (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $s) (local.get $w0))))
                (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $s) (local.get $w1))))
                (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
                (local.set $wptr (i32.add (local.get $wptr) (local.get $cob)))
                (br_if $m1 (i32.lt_u (local.get $xp) (local.get $mend))))
              (local.set $a (i32.add (local.get $a) (i32.const 1)))
              (br_if $taps1 (i32.lt_u (local.get $a) (local.get $kh))))
            (local.set $out (i32.add (local.get $y) (i32.shl
              (i32.add (i32.mul (i32.add (i32.mul (local.get $r) (local.get $wo)) (local.get $j)) (local.get $co))
                (local.get $c0))
              (i32.const 2))))
            (v128.store (local.get $out) (local.get $acc0))
            (v128.store offset=16 (local.get $out) (local.get $acc1))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $singles)))
        (local.set $c0 (i32.add (local.get $c0) (i32.const 8)))
        (br_if $ctiles (i32.lt_u (local.get $c0) (local.get $co))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $outrows (i32.lt_u (local.get $r) (local.get $rows))))))
