// Charts drawn on the server as SVG, so they show without JavaScript and print: labelled, each
// bar reachable from the keyboard with its value read out, GOV.UK colours (never colour alone),
// annotations numbered on the chart and listed beside it. A data table always goes with a chart.
export interface Bar {
  /** Full label for screen readers and the tooltip, e.g. "Monday 3 June 2024". */
  label: string;
  /** Short axis label, e.g. "3 Jun". */
  short: string;
  value: number;
  /** The value as read, e.g. "1,204 transactions". */
  text: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A round number at or above `max` for the axis: 1, 2 or 5 times a power of ten. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

export function barChart(opts: {
  id: string;
  title: string;
  bars: Bar[];
  height?: number;
  /** Numbered markers above bars, listed after the chart by the caller. */
  marks?: Array<{ index: number; n: number }>;
  axisLabel?: (v: number) => string;
}): string {
  const { id, title, bars } = opts;
  const W = 640;
  const H = opts.height ?? 220;
  const left = 48;
  const top = 18;
  const bottom = 28;
  const plotW = W - left - 8;
  const plotH = H - top - bottom;
  const max = niceMax(Math.max(0, ...bars.map((b) => b.value)));
  const slot = bars.length ? plotW / bars.length : plotW;
  const barW = Math.max(2, slot * 0.7);
  const every = Math.max(1, Math.ceil(bars.length / 10)); // at most ~10 axis labels
  const axis = opts.axisLabel ?? ((v: number) => String(v));
  const parts: string[] = [];
  parts.push(
    `<svg class="cs-chart" viewBox="0 0 ${W} ${H}" width="100%" role="group" aria-labelledby="${id}-title" focusable="false">`,
    `<title id="${id}-title">${esc(title)}</title>`,
    `<line x1="${left}" y1="${top}" x2="${W - 8}" y2="${top}" stroke="#b1b4b6" stroke-dasharray="4 3"/>`,
    `<text x="${left - 6}" y="${top + 4}" text-anchor="end" class="cs-chart__axis">${esc(axis(max))}</text>`,
    `<line x1="${left}" y1="${top + plotH}" x2="${W - 8}" y2="${top + plotH}" stroke="#0b0c0c"/>`,
    `<text x="${left - 6}" y="${top + plotH + 4}" text-anchor="end" class="cs-chart__axis">0</text>`,
  );
  bars.forEach((b, i) => {
    const h = max > 0 ? (Math.max(0, b.value) / max) * plotH : 0;
    const x = left + i * slot + (slot - barW) / 2;
    const y = top + plotH - h;
    parts.push(
      `<rect class="cs-chart__bar" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${Math.max(h, 0.5).toFixed(1)}" fill="#1d70b8" tabindex="0" role="img" aria-label="${esc(`${b.label}: ${b.text}`)}"><title>${esc(`${b.label}: ${b.text}`)}</title></rect>`,
    );
    if (i % every === 0 || i === bars.length - 1) {
      parts.push(
        `<text x="${(x + barW / 2).toFixed(1)}" y="${H - 8}" text-anchor="middle" class="cs-chart__axis" aria-hidden="true">${esc(b.short)}</text>`,
      );
    }
  });
  for (const m of opts.marks ?? []) {
    if (m.index < 0 || m.index >= bars.length) continue;
    const cx = left + m.index * slot + slot / 2;
    parts.push(
      `<line x1="${cx.toFixed(1)}" y1="${top}" x2="${cx.toFixed(1)}" y2="${top + plotH}" stroke="#0b0c0c" stroke-dasharray="2 2" aria-hidden="true"/>`,
      `<circle cx="${cx.toFixed(1)}" cy="${top - 8}" r="8" fill="#ffffff" stroke="#0b0c0c" aria-hidden="true"/>`,
      `<text x="${cx.toFixed(1)}" y="${top - 4}" text-anchor="middle" class="cs-chart__mark" aria-hidden="true">${m.n}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}
