// The scatter plot: words at their 2-D PCA coordinates on a canvas, labelled, scaled to fit.

/** Share of points, at each end of an axis, drawn on the border rather than stretching the scale. */
const OUTLIERS = 0.02;

/** Draws `words` at `points` ([x0, y0, x1, y1, …]) on `canvas`; the most frequent (first) words are labelled first. */
export function drawScatter(canvas: HTMLCanvasElement, words: string[], points: Float32Array): void {
  const ctx = canvas.getContext('2d')!;
  // Sharp on high-DPI screens: the backing store in device pixels, drawing in CSS pixels.
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = canvas.clientHeight;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);

  const margin = 24, labelRoom = 70;
  const x = axisScale(points, 0, margin, width - margin - labelRoom);
  const y = axisScale(points, 1, height - margin, margin);

  ctx.strokeStyle = '#d8dce3';
  ctx.strokeRect(0.5, 0.5, width - 1, height - 1);
  ctx.font = '12px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  // A label that would overlap one already drawn is left out; its dot stays.
  const taken: { left: number; right: number; top: number; bottom: number }[] = [];
  words.forEach((word, i) => {
    const px = x(points[2 * i]!), py = y(points[2 * i + 1]!);
    // Frequent words darker: rank 0 near black, the last a light slate.
    const shade = Math.round(40 + (150 * i) / Math.max(words.length - 1, 1));
    ctx.fillStyle = `rgb(${shade - 20}, ${shade}, ${shade + 40})`;
    ctx.beginPath();
    ctx.arc(px, py, 2.5, 0, 2 * Math.PI);
    ctx.fill();
    const box = { left: px + 4, right: px + 6 + ctx.measureText(word).width, top: py - 7, bottom: py + 7 };
    if (taken.some((b) => box.left < b.right && b.left < box.right && box.top < b.bottom && b.top < box.bottom)) return;
    taken.push(box);
    ctx.fillText(word, px + 5, py);
  });
  ctx.fillStyle = '#6b7280';
  ctx.fillText('PC 1 →', width - margin - 40, height - 12);
  ctx.fillText('↑ PC 2', 8, 14);
}

/** Maps one coordinate (axis 0 or 1) onto [from, to] pixels; the outermost OUTLIERS are clamped to the ends. */
function axisScale(points: Float32Array, axis: 0 | 1, from: number, to: number): (v: number) => number {
  const values = Float32Array.from({ length: points.length / 2 }, (_, i) => points[2 * i + axis]!).sort();
  const cut = Math.floor(OUTLIERS * (values.length - 1));
  const lo = values[cut]!, hi = values[values.length - 1 - cut]!;
  const span = hi - lo || 1;
  return (v) => from + (Math.min(Math.max((v - lo) / span, 0), 1)) * (to - from);
}
