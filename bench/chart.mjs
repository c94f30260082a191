// Draws bench/chart.svg from the tables in bench/RESULTS.md, so the README's chart always shows
// the numbers of the last `npm run bench -- --results` (run.mjs calls this after writing them).
//
//   node bench/chart.mjs [RESULTS.md] [chart.svg]
//
// Panels: kernels on one thread as wasm-nlp's speed over each peer (log scale: pure JS is two
// orders of magnitude away), transformer forward latency against onnxruntime-web (f32 and q8)
// when that section exists, the int8 GEMM rates (bench/q8-gemm.mjs) when that one does, and
// word2vec words/s against gensim, fastText and the JS twin.
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const COLORS = ['#2b6cb0', '#dd6b20', '#718096', '#38a169'];
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

/** The Markdown tables of a document, each with the heading above it. */
export function parseTables(md) {
  const tables = [];
  let heading = '';
  let current;
  for (const line of md.split('\n')) {
    if (line.startsWith('#')) heading = line.replace(/^#+\s*/, '');
    if (!line.startsWith('|')) {
      current = undefined;
      continue;
    }
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells.every((c) => /^:?-+:?$/.test(c))) continue;
    if (!current) tables.push((current = { heading, header: cells, rows: [] }));
    else current.rows.push(cells);
  }
  return tables;
}

/** '1.71×' → 1.71, '599k' → 599000, '1,041k' → 1041000, '–' → undefined. */
export function parseNumber(cell) {
  const m = /^([\d.,]+)\s*([kM]?)/.exec(cell.replace(/\*/g, ''));
  if (!m) return undefined;
  const x = Number(m[1].replace(/,/g, ''));
  return x * (m[2] === 'k' ? 1e3 : m[2] === 'M' ? 1e6 : 1);
}

const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/**
 * One panel of horizontal grouped bars. groups: [{ label, bars: [{ series, value, text }] }];
 * scale: 'log' (values are ratios, a line marks 1×) or 'linear'.
 */
function panel({ title, subtitle, groups, series, scale, width, y0 }) {
  const labelW = 190, right = 70, barH = 11, gap = 4, groupGap = 10;
  const plotW = width - labelW - right;
  const values = groups.flatMap((g) => g.bars.map((b) => b.value));
  const max = Math.max(...values), min = Math.min(...values);
  const lo = scale === 'log' ? Math.min(0.5, min) : 0;
  const hi = scale === 'log' ? Math.max(2, max) * 1.15 : max * 1.1;
  const x = scale === 'log'
    ? (v) => (Math.log(v / lo) / Math.log(hi / lo)) * plotW
    : (v) => (v / hi) * plotW;
  const out = [];
  let y = y0;
  out.push(`<text x="0" y="${y + 14}" font-size="15" font-weight="600" ${FONT}>${esc(title)}</text>`);
  y += 20;
  if (subtitle) {
    out.push(`<text x="0" y="${y + 11}" font-size="11.5" fill="#4a5568" ${FONT}>${esc(subtitle)}</text>`);
    y += 16;
  }
  // Legend.
  let lx = labelW;
  series.forEach((s, i) => {
    out.push(`<rect x="${lx}" y="${y + 3}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/>`);
    out.push(`<text x="${lx + 14}" y="${y + 12}" font-size="11.5" ${FONT}>${esc(s)}</text>`);
    lx += 24 + s.length * 6.6;
  });
  y += 22;
  const top = y;
  for (const g of groups) {
    const h = g.bars.length * (barH + gap) - gap;
    out.push(`<text x="${labelW - 8}" y="${y + h / 2 + 4}" font-size="11.5" text-anchor="end" ${FONT}>${esc(g.label)}</text>`);
    for (const b of g.bars) {
      const w = Math.max(1, x(b.value));
      const i = series.indexOf(b.series);
      out.push(`<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[i % COLORS.length]}"/>`);
      out.push(`<text x="${(labelW + w + 4).toFixed(1)}" y="${y + barH - 1.5}" font-size="10.5" fill="#2d3748" ${FONT}>${esc(b.text)}</text>`);
      y += barH + gap;
    }
    y += groupGap - gap;
  }
  if (scale === 'log') {
    const x1 = labelW + x(1);
    out.push(`<line x1="${x1.toFixed(1)}" y1="${top - 4}" x2="${x1.toFixed(1)}" y2="${y}" stroke="#1a202c" stroke-dasharray="3,3"/>`);
    out.push(`<text x="${x1.toFixed(1)}" y="${y + 12}" font-size="10.5" text-anchor="middle" ${FONT}>1× (as fast)</text>`);
    y += 14;
  }
  return { svg: out.join('\n'), height: y - y0 + 16 };
}

/** The chart's panels from RESULTS.md's tables; sections that are missing are left out. */
export function chartPanels(tables) {
  const panels = [];
  const peers = tables.find((t) => /1 thread/.test(t.heading) && t.header.some((h) => h.startsWith('relaxed / ')));
  if (peers) {
    const cols = peers.header.map((h, i) => [h, i]).filter(([h]) => h.startsWith('relaxed / '));
    const series = cols.map(([h]) => `vs ${h.slice('relaxed / '.length)}`);
    panels.push({
      title: 'Kernels, 1 thread: how many times faster wasm-nlp (relaxed SIMD) is',
      subtitle: 'GEMM at BERT shapes, softmax, LayerNorm, GELU; each engine timed as a caller sees it (copies in and out)',
      scale: 'log',
      series,
      groups: peers.rows.map((r) => ({
        label: `${r[0]} ${r[1]}`,
        bars: cols.map(([, i], k) => ({ series: series[k], value: parseNumber(r[i]), text: r[i] })).filter((b) => b.value),
      })),
    });
  }
  const transformer = tables.find((t) => /transformer/i.test(t.heading) && t.header.some((h) => /ort-web/.test(h)) && t.header.some((h) => /ms/.test(h)));
  if (transformer) {
    const h = transformer.header;
    const model = h.findIndex((c) => /model/i.test(c)), threads = h.findIndex((c) => /thread/i.test(c));
    const ours = h.findIndex((c) => /wasm-nlp|ours/i.test(c) && /ms/.test(c)), ort = h.findIndex((c) => /ort-web/.test(c) && /ms/.test(c));
    // The int8 columns, where the table has them ('wasm-nlp q8 ms', 'ort-web q8 ms').
    const oursQ8 = h.findIndex((c) => /wasm-nlp q8 ms/.test(c)), ortQ8 = h.findIndex((c) => /ort-web q8 ms/.test(c));
    if (model >= 0 && ours >= 0 && ort >= 0) {
      const q8 = oursQ8 >= 0 && ortQ8 >= 0 && transformer.rows.some((r) => parseNumber(r[oursQ8]) || parseNumber(r[ortQ8]));
      const columns = q8 ? [[ours, 'wasm-nlp f32'], [ort, 'onnxruntime-web f32'], [oursQ8, 'wasm-nlp q8'], [ortQ8, 'onnxruntime-web q8']]
        : [[ours, 'wasm-nlp'], [ort, 'onnxruntime-web']];
      const series = columns.map(([, name]) => name);
      panels.push({
        title: 'Transformers against onnxruntime-web: latency in ms (shorter is better)',
        subtitle: `forward passes at sequence 128, batch 1; a greedy decode step with a KV cache${q8 ? '; f32 and int8 (q8) weights' : ''}`,
        scale: 'linear',
        series,
        groups: transformer.rows.filter((r) => parseNumber(r[ours]) && parseNumber(r[ort])).map((r) => ({
          label: `${r[model]}${threads >= 0 ? `, ${r[threads]} thr` : ''}`,
          bars: columns.map(([i, name]) => ({ series: name, value: parseNumber(r[i]), text: `${r[i]} ms` })).filter((b) => b.value),
        })),
      });
    }
  }
  const q8 = tables.find((t) => /^Node, 1 thread/.test(t.heading) && t.header.some((h) => /q8 relaxed, G op\/s/.test(h)));
  if (q8) {
    // In the transformer panel's order, so that a colour means the same engine in both.
    const wanted = [['wasm-nlp f32 relaxed', 'wasm-nlp f32'], ['ort-web f32', 'onnxruntime-web f32'], ['wasm-nlp q8 relaxed', 'wasm-nlp q8'], ['ort-web q8', 'onnxruntime-web q8']];
    const cols = wanted.map(([h, name]) => [q8.header.indexOf(`${h}, G op/s`), name]).filter(([i]) => i >= 0);
    panels.push({
      title: 'int8 (q8) GEMM, 1 thread, Node: G op/s (longer is better)',
      subtitle: 'C = A·Bᵀ at BERT-base shapes (m×k×n), B as int8 weights or f32; A quantized on every call',
      scale: 'linear',
      series: cols.map(([, name]) => name),
      groups: q8.rows.map((r) => ({
        label: r[0],
        bars: cols.map(([i, name]) => ({ series: name, value: parseNumber(r[i]), text: r[i] })).filter((b) => b.value),
      })),
    });
  }
  const w2v = tables.find((t) => /word2vec/i.test(t.heading) && t.header.some((h) => /words\/s, 1 thread/.test(h)));
  if (w2v) {
    const one = w2v.header.findIndex((h) => /words\/s, 1 thread/.test(h)), two = w2v.header.findIndex((h) => /words\/s, 2 threads/.test(h));
    const series = ['1 thread', '2 threads'];
    panels.push({
      title: 'word2vec skip-gram training: corpus words per second (longer is better)',
      subtitle: '10M tokens, dim 100, window 5, negative 5',
      scale: 'linear',
      series,
      groups: w2v.rows.map((r) => ({
        label: r[0],
        bars: [one, two].map((i, k) => (i >= 0 ? { series: series[k], value: parseNumber(r[i]), text: r[i] } : undefined)).filter((b) => b?.value),
      })),
    });
  }
  return panels;
}

export function renderChart(md, width = 760) {
  const panels = chartPanels(parseTables(md));
  if (panels.length === 0) throw new Error('chart: RESULTS.md has none of the tables the chart draws');
  let y = 10;
  const parts = [];
  for (const p of panels) {
    const { svg, height } = panel({ ...p, width, y0: y });
    parts.push(svg);
    y += height + 10;
  }
  const pad = 12;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width + 2 * pad}" height="${y}" viewBox="0 0 ${width + 2 * pad} ${y}">
<rect width="100%" height="100%" fill="#ffffff"/>
<g transform="translate(${pad},0)">
${parts.join('\n')}
</g>
</svg>
`;
}

export async function writeChart(results = 'bench/RESULTS.md', out = 'bench/chart.svg') {
  const svg = renderChart(readFileSync(results, 'utf8'));
  await writeFile(`${out}.tmp`, svg);
  await rename(`${out}.tmp`, out);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [results, out] = process.argv.slice(2);
  console.log(`wrote ${await writeChart(results, out)}`);
}
