// Generates the WebAssembly text of the integer golden model's table multiply-accumulate kernel (see
// src/golden/integer/wasm-mac.ts for the why). The loop nest is unrolled into register tiles here rather than written
// by hand: PB output positions x MB output channels per tile, so each activation byte and each weight row offset is
// loaded once per tile and reused. 8 x 4 tiles with 16-bit table entries measured among the fastest here (timings
// vary by +-30% on this machine; bench/golden-integer.ts).
//
// dot_u16 / dot_s16 (cols, K, P, wo, M, out):
//   cols: K x P activation bytes (column p = the K codes of output position p, as a & 255). Row k is contiguous, so
//         the PB positions of a tile are PB consecutive bytes and im2col writes sequentially.
//   wo:   M x K i32 byte addresses of each weight's table row (table base + (w & 255) * 512)
//   out:  M x P i32 sums, out[m * P + p] = sum_k T[w(m,k)][a(p,k)] (wrapping i32 adds), T entries u16 or s16
export const PB = 8;
export const MB = 4;

export function macWat() {
  return `(module\n  (memory (export "memory") 1)\n${fn('dot_u16', 'i32.load16_u')}\n${fn('dot_s16', 'i32.load16_s')}\n${rowSums('col_sums_u', 'i32.load8_u')}\n${rowSums('col_sums_s', 'i32.load8_s')}\n${dotF64()})\n`;
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

// col_sums_u / col_sums_s (cols, K, P, out): out[p] = sum_k cols[k * P + p] (bytes as unsigned or signed codes).
function rowSums(name, load) {
  return `  (func (export "${name}") (param $rows i32) (param $K i32) (param $P i32) (param $out i32)
    (local $p i32) (local $k i32) (local $r i32) (local $o i32)
    (memory.fill (local.get $out) (i32.const 0) (i32.shl (local.get $P) (i32.const 2)))
    (block $kd (loop $kl (br_if $kd (i32.ge_u (local.get $k) (local.get $K)))
      (local.set $r (i32.add (local.get $rows) (i32.mul (local.get $k) (local.get $P))))
      (local.set $p (i32.const 0))
      (block $pd (loop $pl (br_if $pd (i32.ge_u (local.get $p) (local.get $P)))
        (local.set $o (i32.add (local.get $out) (i32.shl (local.get $p) (i32.const 2))))
        (i32.store (local.get $o) (i32.add (i32.load (local.get $o)) (${load} (i32.add (local.get $r) (local.get $p)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1))) (br $pl)))
      (local.set $k (i32.add (local.get $k) (i32.const 1))) (br $kl))))`;
}

function fn(name, load) {
  const L = [];
  const l = (s) => L.push('    ' + s);
  L.push(`  (func (export "${name}") (param $rows i32) (param $K i32) (param $P i32) (param $wo i32) (param $M i32) (param $out i32)`);
  l('(local $p i32) (local $m i32) (local $k i32) (local $kb i32)');
  for (let i = 0; i < PB; i++) l(`(local $r${i} i32) (local $a${i} i32)`);
  for (let j = 0; j < MB; j++) l(`(local $w${j} i32) (local $o${j} i32)`);
  for (let i = 0; i < PB; i++) l(Array.from({ length: MB }, (_, j) => `(local $s${i}_${j} i32)`).join(' '));
  l('(local.set $kb (i32.shl (local.get $K) (i32.const 2)))');
  const tile = (pb, mb) => {
    l('(local.set $r0 (i32.add (local.get $rows) (local.get $p)))');
    for (let j = 0; j < mb; j++) l(`(local.set $w${j} (i32.add (local.get $wo) (i32.mul (i32.add (local.get $m) (i32.const ${j})) (local.get $kb))))`);
    for (let i = 0; i < pb; i++) for (let j = 0; j < mb; j++) l(`(local.set $s${i}_${j} (i32.const 0))`);
    l('(local.set $k (i32.const 0))');
    l('(block $kd (loop $kl (br_if $kd (i32.ge_u (local.get $k) (local.get $K)))');
    for (let i = 0; i < pb; i++) l(`  (local.set $a${i} (i32.shl (i32.load8_u offset=${i} (local.get $r0)) (i32.const 1)))`);
    for (let j = 0; j < mb; j++) l(`  (local.set $o${j} (i32.load (local.get $w${j})))`);
    for (let i = 0; i < pb; i++)
      for (let j = 0; j < mb; j++) l(`  (local.set $s${i}_${j} (i32.add (local.get $s${i}_${j}) (${load} (i32.add (local.get $o${j}) (local.get $a${i})))))`);
    for (let j = 0; j < mb; j++) l(`  (local.set $w${j} (i32.add (local.get $w${j}) (i32.const 4)))`);
    l('  (local.set $r0 (i32.add (local.get $r0) (local.get $P)))');
    l('  (local.set $k (i32.add (local.get $k) (i32.const 1))) (br $kl)))');
    for (let i = 0; i < pb; i++)
      for (let j = 0; j < mb; j++)
        l(`(i32.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const ${j})) (local.get $P)) (i32.add (local.get $p) (i32.const ${i}))) (i32.const 2))) (local.get $s${i}_${j}))`);
  };
  // Channels in tiles of MB, then one by one, for the positions p .. p + pb - 1.
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
