// The scatter plot: words at their 2-D PCA coordinates on a canvas, labelled, scaled to fit.

/** Draws `words` at `points` ([x0, y0, x1, y1, …]) on `canvas`, the first (most frequent) on top. */
export function drawScatter(canvas: HTMLCanvasElement, words: string[], points: Float32Array): void {
  const ctx = canvas.getContext('2d')!;
  // Sharp on high-DPI screens: the backing store in device pixels, drawing in CSS pixels.
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = canvas.clientHeight;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);

  const margin = 28;
  const range = (axis: 0 | 1) => {
    let lo = Infinity, hi = -Infinity;
    for (let i = axis; i < points.length; i += 2) { lo = Math.min(lo, points[i]!); hi = Math.max(hi, points[i]!); }
    return { lo, span: hi - lo || 1 };
  };
  const xs = range(0), ys = range(1);
  const at = (i: number) => [
    margin + ((points[2 * i]! - xs.lo) / xs.span) * (width - 2 * margin - 60),
    height - margin - ((points[2 * i + 1]! - ys.lo) / ys.span) * (height - 2 * margin),
  ] as const;

  ctx.strokeStyle = '#d8dce3';
  ctx.strokeRect(0.5, 0.5, width - 1, height - 1);
  ctx.font = '12px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  for (let i = words.length - 1; i >= 0; i--) {
    const [x, y] = at(i);
    // Frequent words darker: rank 0 black, the last a light slate.
    const shade = Math.round(40 + (150 * i) / Math.max(words.length - 1, 1));
    ctx.fillStyle = `rgb(${shade - 20}, ${shade}, ${shade + 40})`;
    ctx.beginPath();
    ctx.arc(x, y, 2.5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.fillText(words[i]!, x + 5, y);
  }
  ctx.fillStyle = '#6b7280';
  ctx.fillText('PC 1 →', width - margin - 40, height - 12);
  ctx.fillText('↑ PC 2', 8, 14);
}
