// Generates the WebAssembly text of the integer golden model's table multiply-accumulate kernel (see
// src/golden/integer/wasm-mac.ts for the why). The loop nest is unrolled into register tiles here rather than written
// by hand: PB output positions x MB output channels per tile, so each activation byte and each weight row offset is
// loaded once per tile and reused. 8 x 4 tiles with 16-bit table entries measured among the fastest here (timings
// vary by +-30% on this machine; bench/golden-integer.ts).
//
// Tables: weight-major (row w holds P(a, w) for every a), 16-bit entries; wo holds, per weight, the byte address of
// its table row (table base + (w & 255) * 512), so one product is one load at wo[m, k] + 2 a.
export const PB = 8;
export const MB = 4;

export function macWat() {
  return `(module\n  (memory (export "memory") 1)\n${gatherDot('gather_u16', 'i32.load16_u')}\n${gatherDot('gather_s16', 'i32.load16_s')}\n${gatherSums('gather_sums_u', 'i32.load8_u')}\n${gatherSums('gather_sums_s', 'i32.load8_s')}\n${requant()}\n${dotF64()}\n${dotF64Cols()})\n`;
}

// The gather kernels read the activations in place instead of from an im2col copy (which cost as much time as the
// multiply-accumulates themselves on LeNet-5's 5x5 convolutions): the activation of output position p and term k is
// the byte at act + org[p] + koff[k], where org[p] is the window origin of p in a zero-point-padded copy of the input
// and koff[k] the offset of term k (input channel, kernel row and column, dilation) from it. A Gemm is the case
// org[b] = b * K, koff[k] = k.
//
// gather_u16 / gather_s16 (act, org, P, koff, K, wo, M, out): out[m * P + p] = sum_k T[wo[m, k] + 2 * act[org[p] +
// koff[k]]] in wrapping i32 adds, PB positions x MB channels per register tile, as dot_*.
function gatherDot(name, load) {
  const L = [];
  const l = (s) => L.push('    ' + s);
  L.push(`  (func (export "${name}") (param $act i32) (param $org i32) (param $P i32) (param $koff i32) (param $K i32) (param $wo i32) (param $M i32) (param $out i32)`);
  l('(local $p i32) (local $m i32) (local $kp i32) (local $kend i32) (local $kb i32) (local $t i32)');
  for (let i = 0; i < PB; i++) l(`(local $r${i} i32) (local $a${i} i32)`);
  for (let j = 0; j < MB; j++) l(`(local $w${j} i32) (local $o${j} i32)`);
  for (let i = 0; i < PB; i++) l(Array.from({ length: MB }, (_, j) => `(local $s${i}_${j} i32)`).join(' '));
  l('(local.set $kb (i32.shl (local.get $K) (i32.const 2)))');
  l('(local.set $kend (i32.add (local.get $koff) (local.get $kb)))');
  const tile = (pb, mb) => {
    for (let i = 0; i < pb; i++) l(`(local.set $r${i} (i32.add (local.get $act) (i32.load offset=${4 * i} (i32.add (local.get $org) (i32.shl (local.get $p) (i32.const 2))))))`);
    for (let j = 0; j < mb; j++) l(`(local.set $w${j} (i32.add (local.get $wo) (i32.mul (i32.add (local.get $m) (i32.const ${j})) (local.get $kb))))`);
    for (let i = 0; i < pb; i++) for (let j = 0; j < mb; j++) l(`(local.set $s${i}_${j} (i32.const 0))`);
    l('(local.set $kp (local.get $koff))');
    l('(block $kd (loop $kl (br_if $kd (i32.ge_u (local.get $kp) (local.get $kend)))');
    l('  (local.set $t (i32.load (local.get $kp)))');
    for (let i = 0; i < pb; i++) l(`  (local.set $a${i} (i32.shl (i32.load8_u (i32.add (local.get $r${i}) (local.get $t))) (i32.const 1)))`);
    for (let j = 0; j < mb; j++) l(`  (local.set $o${j} (i32.load (local.get $w${j})))`);
    for (let i = 0; i < pb; i++)
      for (let j = 0; j < mb; j++) l(`  (local.set $s${i}_${j} (i32.add (local.get $s${i}_${j}) (${load} (i32.add (local.get $o${j}) (local.get $a${i})))))`);
    for (let j = 0; j < mb; j++) l(`  (local.set $w${j} (i32.add (local.get $w${j}) (i32.const 4)))`);
    l('  (local.set $kp (i32.add (local.get $kp) (i32.const 4))) (br $kl)))');
    for (let i = 0; i < pb; i++)
      for (let j = 0; j < mb; j++)
        l(`(i32.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const ${j})) (local.get $P)) (i32.add (local.get $p) (i32.const ${i}))) (i32.const 2))) (local.get $s${i}_${j}))`);
  };
  const channels = (pb) => {
    l('(local.set $m (i32.const 0))');
    l(`(block $md (loop $ml (br_if $md (i32.gt_u (i32.add (local.get $m) (i32.const ${MB})) (local.get $M)))`);
    tile(pb, MB);
    l(`(local.set $m (i32.add (local.get $m) (i32.const ${MB}))) (br $ml)))`);
    l('(block $m1d (loop $m1l (br_if $m1d (i32.ge_u (local.get $m) (local.get $M)))');
    tile(pb, 1);
    l('(local.set $m (i32.add (local.get $m) (i32.const 1))) (br $m1l)))');
  };
  l('(local.set $p (i32.const 0))');
  l(`(block $pd (loop $pl (br_if $pd (i32.gt_u (i32.add (local.get $p) (i32.const ${PB})) (local.get $P)))`);
  channels(PB);
  l(`(local.set $p (i32.add (local.get $p) (i32.const ${PB}))) (br $pl)))`);
  l('(block $p1d (loop $p1l (br_if $p1d (i32.ge_u (local.get $p) (local.get $P)))');
  channels(1);
  l('(local.set $p (i32.add (local.get $p) (i32.const 1))) (br $p1l)))');
  L.push('  )');
  return L.join('\n');
}

// gather_sums_u / gather_sums_s (act, org, P, koff, K, out): out[p] = sum_k act[org[p] + koff[k]] (codes as unsigned
// or signed bytes): the per-position activation sums of the zero-point correction.
function gatherSums(name, load) {
  return `  (func (export "${name}") (param $act i32) (param $org i32) (param $P i32) (param $koff i32) (param $K i32) (param $out i32)
    (local $p i32) (local $kp i32) (local $kend i32) (local $r i32) (local $s i32)
    (local.set $kend (i32.add (local.get $koff) (i32.shl (local.get $K) (i32.const 2))))
    (block $pd (loop $pl (br_if $pd (i32.ge_u (local.get $p) (local.get $P)))
      (local.set $r (i32.add (local.get $act) (i32.load (i32.add (local.get $org) (i32.shl (local.get $p) (i32.const 2))))))
      (local.set $s (i32.const 0))
      (local.set $kp (local.get $koff))
      (block $kd (loop $kl (br_if $kd (i32.ge_u (local.get $kp) (local.get $kend)))
        (local.set $s (i32.add (local.get $s) (${load} (i32.add (local.get $r) (i32.load (local.get $kp))))))
        (local.set $kp (i32.add (local.get $kp) (i32.const 4))) (br $kl)))
      (i32.store (i32.add (local.get $out) (i32.shl (local.get $p) (i32.const 2))) (local.get $s))
      (local.set $p (i32.add (local.get $p) (i32.const 1))) (br $pl))))`;
}

// requant (sums, rs, P, M, chan, out, sm, sp, halfEven) -> 1 when an accumulator left the domain, else 0.
// Section 3 of ir/arithmetic.md for every output of a table layer, in exact 64-bit integer arithmetic (what
// mulShiftRound computes with doubles, without its tie and range cases):
//   acc = sums[m * P + p] + c[m] - zw[m] * rs[p]          (c = bias + K * za * zw - za * sum_k w: the correction)
//   y   = clamp(zp + round(acc * mantissa / 2^t), lo, hi) (t = 31 + shift; ties to even or away from zero)
// stored as i32 at out[m * sm + p * sp]. Channel m's record at chan + 32 m: c (i64), zw, mantissa, t, zp, lo, hi
// (i32). Domain, as mulShiftRound's: |acc| <= 2^32 (so |acc * mantissa| < 2^63) and 1 <= t <= 63 (t > 63 rounds to
// 0, handled by the caller as t = 64 -> 0 here); outside it the function returns 1 and the caller recomputes the layer
// with the JavaScript definition.
function requant() {
  return `  (func (export "requant") (param $sums i32) (param $rs i32) (param $P i32) (param $M i32) (param $chan i32) (param $out i32) (param $sm i32) (param $sp i32) (param $halfEven i32) (result i32)
    (local $m i32) (local $p i32) (local $rec i32) (local $c i64) (local $zw i64) (local $mant i64) (local $t i64) (local $zp i64) (local $lo i64) (local $hi i64)
    (local $acc i64) (local $prod i64) (local $q i64) (local $r i64) (local $half i64) (local $up i32) (local $bad i32) (local $v i64)
    (block $md (loop $ml (br_if $md (i32.ge_u (local.get $m) (local.get $M)))
      (local.set $rec (i32.add (local.get $chan) (i32.shl (local.get $m) (i32.const 5))))
      (local.set $c (i64.load (local.get $rec)))
      (local.set $zw (i64.extend_i32_s (i32.load offset=8 (local.get $rec))))
      (local.set $mant (i64.extend_i32_s (i32.load offset=12 (local.get $rec))))
      (local.set $t (i64.extend_i32_s (i32.load offset=16 (local.get $rec))))
      (local.set $zp (i64.extend_i32_s (i32.load offset=20 (local.get $rec))))
      (local.set $lo (i64.extend_i32_s (i32.load offset=24 (local.get $rec))))
      (local.set $hi (i64.extend_i32_s (i32.load offset=28 (local.get $rec))))
      (if (i64.lt_s (local.get $t) (i64.const 1)) (then (local.set $bad (i32.const 1))))
      (local.set $half (i64.shl (i64.const 1) (i64.sub (local.get $t) (i64.const 1))))
      (local.set $p (i32.const 0))
      (block $pd (loop $pl (br_if $pd (i32.ge_u (local.get $p) (local.get $P)))
        (local.set $acc (i64.sub
          (i64.add (i64.extend_i32_s (i32.load (i32.add (local.get $sums) (i32.shl (i32.add (i32.mul (local.get $m) (local.get $P)) (local.get $p)) (i32.const 2))))) (local.get $c))
          (i64.mul (local.get $zw) (i64.extend_i32_s (i32.load (i32.add (local.get $rs) (i32.shl (local.get $p) (i32.const 2))))))))
        (if (i64.gt_u (i64.add (local.get $acc) (i64.const 4294967296)) (i64.const 8589934592)) (then (local.set $bad (i32.const 1))))
        (if (i64.gt_s (local.get $t) (i64.const 63))
          (then (local.set $q (i64.const 0)))
          (else
            (local.set $prod (i64.mul (local.get $acc) (local.get $mant)))
            (local.set $q (i64.shr_s (local.get $prod) (local.get $t)))
            (local.set $r (i64.sub (local.get $prod) (i64.shl (local.get $q) (local.get $t))))
            (local.set $up (i32.or (i64.gt_s (local.get $r) (local.get $half))
              (i32.and (i64.eq (local.get $r) (local.get $half))
                (select (i32.wrap_i64 (i64.and (local.get $q) (i64.const 1))) (i64.ge_s (local.get $prod) (i64.const 0)) (local.get $halfEven)))))
            (local.set $q (i64.add (local.get $q) (i64.extend_i32_u (local.get $up))))))
        (local.set $v (i64.add (local.get $zp) (local.get $q)))
        (local.set $v (select (local.get $lo) (local.get $v) (i64.lt_s (local.get $v) (local.get $lo))))
        (local.set $v (select (local.get $hi) (local.get $v) (i64.gt_s (local.get $v) (local.get $hi))))
        (i32.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $m) (local.get $sm)) (i32.mul (local.get $p) (local.get $sp))) (i32.const 2))) (i32.wrap_i64 (local.get $v)))
        (local.set $p (i32.add (local.get $p) (i32.const 1))) (br $pl)))
      (local.set $m (i32.add (local.get $m) (i32.const 1))) (br $ml)))
    (local.get $bad))`;
}

// dot_f64 (rows, K, P, w, M, out): the float golden model's Conv/Gemm. rows: P x K f64 (receptive fields), w: M x K
// f64, out[m * P + p] = sum_k w[m, k] * rows[p, k] in f64, k in order (one rounding per add, like the JavaScript loop).
// Tiles of FP positions x FM channels keep the sums in locals.
export const FP = 4;
export const FM = 2;
function dotF64() {
  const L = [];
  const l = (s) => L.push('    ' + s);
  L.push('  (func (export "dot_f64") (param $rows i32) (param $K i32) (param $P i32) (param $w i32) (param $M i32) (param $out i32)');
  l('(local $p i32) (local $m i32) (local $k i32) (local $kb i32)');
  for (let i = 0; i < FP; i++) l(`(local $r${i} i32) (local $a${i} f64)`);
  for (let j = 0; j < FM; j++) l(`(local $w${j} i32) (local $b${j} f64)`);
  for (let i = 0; i < FP; i++) l(Array.from({ length: FM }, (_, j) => `(local $s${i}_${j} f64)`).join(' '));
  l('(local.set $kb (i32.shl (local.get $K) (i32.const 3)))');
  const tile = (pb, mb) => {
    for (let i = 0; i < pb; i++) l(`(local.set $r${i} (i32.add (local.get $rows) (i32.mul (i32.add (local.get $p) (i32.const ${i})) (local.get $kb))))`);
    for (let j = 0; j < mb; j++) l(`(local.set $w${j} (i32.add (local.get $w) (i32.mul (i32.add (local.get $m) (i32.const ${j})) (local.get $kb))))`);
    for (let i = 0; i < pb; i++) for (let j = 0; j < mb; j++) l(`(local.set $s${i}_${j} (f64.const 0))`);
    l('(local.set $k (i32.const 0))');
    l('(block $kd (loop $kl (br_if $kd (i32.ge_u (local.get $k) (local.get $kb)))');
    for (let i = 0; i < pb; i++) l(`  (local.set $a${i} (f64.load (i32.add (local.get $r${i}) (local.get $k))))`);
    for (let j = 0; j < mb; j++) l(`  (local.set $b${j} (f64.load (i32.add (local.get $w${j}) (local.get $k))))`);
    for (let i = 0; i < pb; i++)
      for (let j = 0; j < mb; j++) l(`  (local.set $s${i}_${j} (f64.add (local.get $s${i}_${j}) (f64.mul (local.get $a${i}) (local.get $b${j}))))`);
    l('  (local.set $k (i32.add (local.get $k) (i32.const 8))) (br $kl)))');
    for (let i = 0; i < pb; i++)
      for (let j = 0; j < mb; j++)
        l(`(f64.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const ${j})) (local.get $P)) (i32.add (local.get $p) (i32.const ${i}))) (i32.const 3))) (local.get $s${i}_${j}))`);
  };
  const channels = (pb) => {
    l('(local.set $m (i32.const 0))');
    l(`(block $md (loop $ml (br_if $md (i32.gt_u (i32.add (local.get $m) (i32.const ${FM})) (local.get $M)))`);
    tile(pb, FM);
    l(`(local.set $m (i32.add (local.get $m) (i32.const ${FM}))) (br $ml)))`);
    l('(block $m1d (loop $m1l (br_if $m1d (i32.ge_u (local.get $m) (local.get $M)))');
    tile(pb, 1);
    l('(local.set $m (i32.add (local.get $m) (i32.const 1))) (br $m1l)))');
  };
  l('(local.set $p (i32.const 0))');
  l(`(block $pd (loop $pl (br_if $pd (i32.gt_u (i32.add (local.get $p) (i32.const ${FP})) (local.get $P)))`);
  channels(FP);
  l(`(local.set $p (i32.add (local.get $p) (i32.const ${FP}))) (br $pl)))`);
  l('(block $p1d (loop $p1l (br_if $p1d (i32.ge_u (local.get $p) (local.get $P)))');
  channels(1);
  l('(local.set $p (i32.add (local.get $p) (i32.const 1))) (br $p1l)))');
  L.push('  )');
  return L.join('\n');
}


// dot_f64_cols (cols, K, P, w, M, out): the float golden model's Conv with its receptive fields as columns: cols is
// K x P f64 (row k = term k of every position), w M x K f64; out[m * P + p] = sum_k w[m, k] * cols[k, p] in f64, k
// in order, one rounding per multiply and per add: the same sums as dot_f64, two positions per SIMD lane pair
// (f64x2 multiplies and adds round each lane as the scalar ones do; WebAssembly has no fused multiply-add here).
// Tiles of CP positions (CP / 2 vectors) x CM channels keep the sums in registers; leftover positions run scalar.
export const CP = 8;
export const CM = 2;
function dotF64Cols() {
  const L = [];
  const l = (s) => L.push('    ' + s);
  const V = CP / 2;
  L.push('  (func (export "dot_f64_cols") (param $cols i32) (param $K i32) (param $P i32) (param $w i32) (param $M i32) (param $out i32)');
  l('(local $p i32) (local $m i32) (local $k i32) (local $pb i32) (local $kb i32) (local $c i32) (local $ss f64)');
  for (let i = 0; i < V; i++) l(`(local $x${i} v128)`);
  for (let j = 0; j < CM; j++) l(`(local $w${j} i32) (local $b${j} v128)`);
  for (let i = 0; i < V; i++) l(Array.from({ length: CM }, (_, j) => `(local $s${i}_${j} v128)`).join(' '));
  l('(local.set $pb (i32.shl (local.get $P) (i32.const 3)))');
  l('(local.set $kb (i32.shl (local.get $K) (i32.const 3)))');
  const tile = (mb) => {
    l('(local.set $c (i32.add (local.get $cols) (i32.shl (local.get $p) (i32.const 3))))');
    for (let j = 0; j < mb; j++) l(`(local.set $w${j} (i32.add (local.get $w) (i32.mul (i32.add (local.get $m) (i32.const ${j})) (local.get $kb))))`);
    for (let i = 0; i < V; i++) for (let j = 0; j < mb; j++) l(`(local.set $s${i}_${j} (v128.const f64x2 0 0))`);
    l('(local.set $k (i32.const 0))');
    l('(block $kd (loop $kl (br_if $kd (i32.ge_u (local.get $k) (local.get $K)))');
    for (let i = 0; i < V; i++) l(`  (local.set $x${i} (v128.load offset=${16 * i} align=8 (local.get $c)))`);
    for (let j = 0; j < mb; j++) l(`  (local.set $b${j} (f64x2.splat (f64.load (local.get $w${j}))))`);
    for (let i = 0; i < V; i++)
      for (let j = 0; j < mb; j++) l(`  (local.set $s${i}_${j} (f64x2.add (local.get $s${i}_${j}) (f64x2.mul (local.get $x${i}) (local.get $b${j}))))`);
    l('  (local.set $c (i32.add (local.get $c) (local.get $pb)))');
    for (let j = 0; j < mb; j++) l(`  (local.set $w${j} (i32.add (local.get $w${j}) (i32.const 8)))`);
    l('  (local.set $k (i32.add (local.get $k) (i32.const 1))) (br $kl)))');
    for (let i = 0; i < V; i++)
      for (let j = 0; j < mb; j++)
        l(`(v128.store offset=${16 * i} align=8 (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const ${j})) (local.get $P)) (local.get $p)) (i32.const 3))) (local.get $s${i}_${j}))`);
  };
  l('(local.set $p (i32.const 0))');
  l(`(block $pd (loop $pl (br_if $pd (i32.gt_u (i32.add (local.get $p) (i32.const ${CP})) (local.get $P)))`);
  l('(local.set $m (i32.const 0))');
  l(`(block $md (loop $ml (br_if $md (i32.gt_u (i32.add (local.get $m) (i32.const ${CM})) (local.get $M)))`);
  tile(CM);
  l(`(local.set $m (i32.add (local.get $m) (i32.const ${CM}))) (br $ml)))`);
  l('(block $m1d (loop $m1l (br_if $m1d (i32.ge_u (local.get $m) (local.get $M)))');
  tile(1);
  l('(local.set $m (i32.add (local.get $m) (i32.const 1))) (br $m1l)))');
  l(`(local.set $p (i32.add (local.get $p) (i32.const ${CP}))) (br $pl)))`);
  // Leftover positions, one at a time: s = s + w[m, k] * cols[k, p], k in order.
  l('(block $qd (loop $ql (br_if $qd (i32.ge_u (local.get $p) (local.get $P)))');
  l('(local.set $m (i32.const 0))');
  l('(block $rd (loop $rl (br_if $rd (i32.ge_u (local.get $m) (local.get $M)))');
  l('  (local.set $c (i32.add (local.get $cols) (i32.shl (local.get $p) (i32.const 3))))');
  l('  (local.set $w0 (i32.add (local.get $w) (i32.mul (local.get $m) (local.get $kb))))');
  l('  (local.set $ss (f64.const 0))');
  l('  (local.set $k (i32.const 0))');
  l('  (block $kd (loop $kl (br_if $kd (i32.ge_u (local.get $k) (local.get $K)))');
  l('    (local.set $ss (f64.add (local.get $ss) (f64.mul (f64.load (local.get $c)) (f64.load (local.get $w0)))))');
  l('    (local.set $c (i32.add (local.get $c) (local.get $pb)))');
  l('    (local.set $w0 (i32.add (local.get $w0) (i32.const 8)))');
  l('    (local.set $k (i32.add (local.get $k) (i32.const 1))) (br $kl)))');
  l('  (f64.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $m) (local.get $P)) (local.get $p)) (i32.const 3))) (local.get $ss))');
  l('  (local.set $m (i32.add (local.get $m) (i32.const 1))) (br $rl)))');
  l('(local.set $p (i32.add (local.get $p) (i32.const 1))) (br $ql)))');
  L.push('  )');
  return L.join('\n');
}
