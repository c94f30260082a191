// Rotary position embedding (RoPE) on every head of every row of x (rows × heads·dh floats).
// table: rows × rd floats, row r = [cos_0 … cos_{rd/2−1}, sin_0 … sin_{rd/2−1}] for row r's
// position (the caller owns positions and the frequency base). Pair i of a head's first rd
// columns, (x1, x2), becomes (x1·cos_i − x2·sin_i, x2·cos_i + x1·sin_i):
//   interleaved = 0: x1 = column i, x2 = column i + rd/2 (Llama, GPT-NeoX "rotate_half");
//   interleaved = 1: x1 = column 2i, x2 = column 2i + 1 (GPT-J).
// Columns rd…dh−1 are copied. out may equal x: each pair is read before it is written.
// mul then sub/add rather than madd, so both builds give the same bits.
import { at } from "../simd";

export function rotary(x: usize, table: usize, out: usize, rows: i32, heads: i32, dh: i32, rd: i32, interleaved: bool): void {
  const half = rd >> 1;
  for (let r = 0; r < rows; r++) {
    const cr = at(table, r * rd), sr = at(cr, half);
    for (let h = 0; h < heads; h++) {
      const o = (r * heads + h) * dh;
      const xh = at(x, o), yh = at(out, o);
      let i = 0;
      if (interleaved) {
        // 8 columns (4 pairs) at a time: split into x1 and x2 lanes, rotate, interleave back.
        for (; i + 4 <= half; i += 4) {
          const v0 = v128.load(at(xh, 2 * i)), v1 = v128.load(at(xh, 2 * i + 4));
          const x1 = i32x4.shuffle(v0, v1, 0, 2, 4, 6), x2 = i32x4.shuffle(v0, v1, 1, 3, 5, 7);
          const c = v128.load(at(cr, i)), s = v128.load(at(sr, i));
          const y1 = f32x4.sub(f32x4.mul(x1, c), f32x4.mul(x2, s));
          const y2 = f32x4.add(f32x4.mul(x2, c), f32x4.mul(x1, s));
          v128.store(at(yh, 2 * i), i32x4.shuffle(y1, y2, 0, 4, 1, 5));
          v128.store(at(yh, 2 * i + 4), i32x4.shuffle(y1, y2, 2, 6, 3, 7));
        }
        for (; i < half; i++) rotatePair(at(xh, 2 * i), at(xh, 2 * i + 1), at(yh, 2 * i), at(yh, 2 * i + 1), at(cr, i), at(sr, i));
      } else {
        const x2h = at(xh, half), y2h = at(yh, half);
        for (; i + 4 <= half; i += 4) {
          const x1 = v128.load(at(xh, i)), x2 = v128.load(at(x2h, i));
          const c = v128.load(at(cr, i)), s = v128.load(at(sr, i));
          v128.store(at(yh, i), f32x4.sub(f32x4.mul(x1, c), f32x4.mul(x2, s)));
          v128.store(at(y2h, i), f32x4.add(f32x4.mul(x2, c), f32x4.mul(x1, s)));
        }
        for (; i < half; i++) rotatePair(at(xh, i), at(x2h, i), at(yh, i), at(y2h, i), at(cr, i), at(sr, i));
      }
      if (out != x) {
        let j = rd;
        for (; j + 4 <= dh; j += 4) v128.store(at(yh, j), v128.load(at(xh, j)));
        for (; j < dh; j++) store<f32>(at(yh, j), load<f32>(at(xh, j)));
      }
    }
  }
}

@inline function rotatePair(p1: usize, p2: usize, q1: usize, q2: usize, pc: usize, ps: usize): void {
  const x1 = load<f32>(p1), x2 = load<f32>(p2), c = load<f32>(pc), s = load<f32>(ps);
  store<f32>(q1, x1 * c - x2 * s);
  store<f32>(q2, x2 * c + x1 * s);
}
