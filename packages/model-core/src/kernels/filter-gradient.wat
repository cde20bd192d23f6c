;; The filter gradient of a 2D convolution (dilation 1) as a register-blocked wasm SIMD kernel that runs on
;; the tfjs wasm backend's own memory: it reads x and dy and adds into dW where tfjs keeps them, no copies.
;; See filter-gradient.ts for why it exists and how it is called; `npm run build:wasm` (in this package)
;; turns this file into filter-gradient.wasm.ts, and a test checks that the two agree.
;;
;; With x zero-padded so that tap (a, b) of output pixel (n, i, j) reads x[n, i·sh + a, j·sw + b, ·]:
;;
;;   dW[a, b, ci, co] = Σ_{n, i, j} x[n, i·sh + a, j·sw + b, ci] · dy[n, i, j, co]
;;
;; For a fixed kernel row a, the KW·Ci values x[n, i·sh + a, j·sw + b, ci] (b, ci) of one output pixel lie
;; next to each other in NHWC memory, and so do dW[a, b, ci, ·] (b, ci). So each kernel row is one matrix
;; product dW_a[m, co] = Σ_p X_a[p, m] · dy[p, co] with m = b·Ci + ci, where the rows of X_a are overlapping
;; windows of x: an im2col that is never written down.
;;
;; Blocking: an output tile of 4 m × 8 co lives in 8 v128 locals while the pixels of a chunk of output rows
;; stream past (2 loads of dy, 4 load-splats of x, 8 multiplies and 8 adds per pixel); the chunk is sized
;; by the caller so that its x and dy stay in the core's L2 cache across the tiles. m runs over `mr`, KW·Ci
;; rounded up to 4: the rounded-up columns read past a pixel's window (into memory the caller provides)
;; and land in dW rows the caller discards.
;;
;; scripts/wasm-kernels.ts also assembles a fused twin of this module, each `acc + s · d` below turned into one
;; relaxed-SIMD f32x4.relaxed_madd; engines with relaxed SIMD run that one.
(module
  (import "env" "memory" (memory 1))

  ;; dfilter(x, dy, dw, rows, ho, wo, wp, hp, ci, co, kh, mr, sh, sw, chunk): adds the gradient into dw.
  ;;   x  [N, hp, wp, ci] f32, padded; dy [N, ho, wo, co] f32, with rows = N·ho; dw [kh, mr, co] f32.
  ;;   co is a multiple of 8; mr a multiple of 4; chunk ≥ 1 output rows per cache block. Addresses in bytes.
  (func (export "dfilter")
    (param $x i32) (param $dy i32) (param $dw i32) (param $rows i32) (param $ho i32) (param $wo i32)
    (param $wp i32) (param $hp i32) (param $ci i32) (param $co i32) (param $kh i32) (param $mr i32)
    (param $sh i32) (param $sw i32) (param $chunk i32)
    (local $r0 i32) (local $r1 i32) (local $a i32) (local $m0 i32) (local $c0 i32) (local $r i32)
    (local $n i32) (local $xp i32) (local $dp i32) (local $end i32) (local $xstep i32) (local $cob i32)
    (local $out i32)
    (local $d0 v128) (local $d1 v128) (local $s v128)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local $acc4 v128) (local $acc5 v128) (local $acc6 v128) (local $acc7 v128)
    (local.set $xstep (i32.shl (i32.mul (local.get $sw) (local.get $ci)) (i32.const 2)))
    (local.set $cob (i32.shl (local.get $co) (i32.const 2)))
    (loop $chunks
      (local.set $r1 (i32.add (local.get $r0) (local.get $chunk)))
      (if (i32.gt_u (local.get $r1) (local.get $rows)) (then (local.set $r1 (local.get $rows))))
      (local.set $a (i32.const 0))
      (loop $taps
        (local.set $m0 (i32.const 0))
        (loop $mtiles
          (local.set $c0 (i32.const 0))
          (loop $ctiles
            (local.set $acc0 (v128.const i32x4 0 0 0 0)) (local.set $acc1 (v128.const i32x4 0 0 0 0))
            (local.set $acc2 (v128.const i32x4 0 0 0 0)) (local.set $acc3 (v128.const i32x4 0 0 0 0))
            (local.set $acc4 (v128.const i32x4 0 0 0 0)) (local.set $acc5 (v128.const i32x4 0 0 0 0))
            (local.set $acc6 (v128.const i32x4 0 0 0 0)) (local.set $acc7 (v128.const i32x4 0 0 0 0))
            (local.set $r (local.get $r0))
            (loop $outrows
              ;; output row r = (n, i): x row n·hp + i·sh + a, from column 0, window column m0
              (local.set $n (i32.div_u (local.get $r) (local.get $ho)))
              (local.set $xp (i32.add (local.get $x) (i32.shl
                (i32.add
                  (i32.mul
                    (i32.add
                      (i32.mul (local.get $n) (local.get $hp))
                      (i32.add
                        (i32.mul (i32.sub (local.get $r) (i32.mul (local.get $n) (local.get $ho))) (local.get $sh))
                        (local.get $a)))
                    (i32.mul (local.get $wp) (local.get $ci)))
                  (local.get $m0))
                (i32.const 2))))
              (local.set $dp (i32.add (local.get $dy) (i32.shl
                (i32.add (i32.mul (i32.mul (local.get $r) (local.get $wo)) (local.get $co)) (local.get $c0))
                (i32.const 2))))
              (local.set $end (i32.add (local.get $dp) (i32.mul (local.get $wo) (local.get $cob))))
              (loop $pixels
                (local.set $d0 (v128.load (local.get $dp)))
                (local.set $d1 (v128.load offset=16 (local.get $dp)))
                (local.set $s (v128.load32_splat (local.get $xp)))
                (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $s) (local.get $d0))))
                (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $s) (local.get $d1))))
                (local.set $s (v128.load32_splat offset=4 (local.get $xp)))
                (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $s) (local.get $d0))))
                (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (local.get $s) (local.get $d1))))
                (local.set $s (v128.load32_splat offset=8 (local.get $xp)))
                (local.set $acc4 (f32x4.add (local.get $acc4) (f32x4.mul (local.get $s) (local.get $d0))))
                (local.set $acc5 (f32x4.add (local.get $acc5) (f32x4.mul (local.get $s) (local.get $d1))))
                (local.set $s (v128.load32_splat offset=12 (local.get $xp)))
                (local.set $acc6 (f32x4.add (local.get $acc6) (f32x4.mul (local.get $s) (local.get $d0))))
                (local.set $acc7 (f32x4.add (local.get $acc7) (f32x4.mul (local.get $s) (local.get $d1))))
                (local.set $xp (i32.add (local.get $xp) (local.get $xstep)))
                (local.set $dp (i32.add (local.get $dp) (local.get $cob)))
                (br_if $pixels (i32.lt_u (local.get $dp) (local.get $end))))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br_if $outrows (i32.lt_u (local.get $r) (local.get $r1))))
            ;; dw[a, m0 + k, c0 .. c0 + 8] += tile row k
            (local.set $out (i32.add (local.get $dw) (i32.shl
              (i32.add (i32.mul (i32.add (i32.mul (local.get $a) (local.get $mr)) (local.get $m0)) (local.get $co))
                (local.get $c0))
              (i32.const 2))))
            (v128.store (local.get $out) (f32x4.add (v128.load (local.get $out)) (local.get $acc0)))
            (v128.store offset=16 (local.get $out) (f32x4.add (v128.load offset=16 (local.get $out)) (local.get $acc1)))
            (local.set $out (i32.add (local.get $out) (local.get $cob)))
            (v128.store (local.get $out) (f32x4.add (v128.load (local.get $out)) (local.get $acc2)))
            (v128.store offset=16 (local.get $out) (f32x4.add (v128.load offset=16 (local.get $out)) (local.get $acc3)))
            (local.set $out (i32.add (local.get $out) (local.get $cob)))
            (v128.store (local.get $out) (f32x4.add (v128.load (local.get $out)) (local.get $acc4)))
            (v128.store offset=16 (local.get $out) (f32x4.add (v128.load offset=16 (local.get $out)) (local.get $acc5)))
            (local.set $out (i32.add (local.get $out) (local.get $cob)))
            (v128.store (local.get $out) (f32x4.add (v128.load (local.get $out)) (local.get $acc6)))
            (v128.store offset=16 (local.get $out) (f32x4.add (v128.load offset=16 (local.get $out)) (local.get $acc7)))
            (local.set $c0 (i32.add (local.get $c0) (i32.const 8)))
            (br_if $ctiles (i32.lt_u (local.get $c0) (local.get $co))))
          (local.set $m0 (i32.add (local.get $m0) (i32.const 4)))
          (br_if $mtiles (i32.lt_u (local.get $m0) (local.get $mr))))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br_if $taps (i32.lt_u (local.get $a) (local.get $kh))))
      (local.set $r0 (local.get $r1))
      (br_if $chunks (i32.lt_u (local.get $r0) (local.get $rows))))))
