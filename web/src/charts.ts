// Canvas charts for the statistics page, with Chart.js 4 and its matrix chart (the heat map). Only the
// statistics page loads this module, so the board never downloads the chart code. Chart.js works under
// the page's CSP: no eval, no injected <style>, canvas sizes set through the CSSOM only.
//
// Every chart is drawn in one of two themes: `screen` (the console's dark theme) and `paper` (dark on
// white, for print and for the PNG downloads). A chart is built from a function of the theme, so that
// switching redraws it with the other colours.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type ChartType,
  type Plugin,
} from 'chart.js';
import { MatrixController, MatrixElement } from 'chartjs-chart-matrix';

export type Theme = {
  name: 'screen' | 'paper';
  text: string;
  grid: string;
  /** Filled behind the chart (none on screen: the panel shows through). */
  background: string | null;
  /** A reference line (a target). */
  reference: string;
};

export const SCREEN: Theme = {
  name: 'screen',
  text: '#eceff3',
  grid: '#3a424d',
  background: null,
  reference: '#eceff3',
};
export const PAPER: Theme = {
  name: 'paper',
  text: '#1a1a1a',
  grid: '#c8c8c8',
  background: '#ffffff',
  reference: '#1a1a1a',
};

/**
 * Okabe & Ito's palette, told apart with every common colour-vision deficiency; each series also differs
 * by point style or dash, and every chart has its figures in a table.
 */
export const PALETTE = {
  orange: '#E69F00',
  sky: '#56B4E9',
  green: '#009E73',
  purple: '#CC79A7',
  vermillion: '#D55E00',
  blue: '#0072B2',
  grey: '#999999',
} as const;

const background: Plugin = {
  id: 'paperBackground',
  beforeDraw(chart, _args, options: { color?: string | null }) {
    if (!options.color) return;
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.fillStyle = options.color;
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

Chart.register(
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  CategoryScale,
  LinearScale,
  Legend,
  Tooltip,
  MatrixController,
  MatrixElement,
  background,
);
// Drawn at once: a chart is complete when the page (or the printer, or a PNG) first sees it.
Chart.defaults.animation = false;
Chart.defaults.font.family = 'system-ui, sans-serif';

export type MakeChart = (theme: Theme) => ChartConfiguration<ChartType>;

/** Colours of the theme applied to what every chart has: text, grid, background. */
export function themed(config: ChartConfiguration<ChartType>, theme: Theme): ChartConfiguration<ChartType> {
  // Both axes, named by the chart or not, in the theme's colours.
  type Axis = { ticks?: object; grid?: object };
  const axes: Record<string, Axis> = { x: {}, y: {}, ...(config.options?.scales as Record<string, Axis> | undefined) };
  const scales = Object.fromEntries(
    Object.entries(axes).map(([k, s]) => [
      k,
      { ...s, ticks: { ...s.ticks, color: theme.text }, grid: { ...s.grid, color: theme.grid } },
    ]),
  );
  return {
    ...config,
    options: {
      ...config.options,
      responsive: true,
      maintainAspectRatio: false,
      // On paper (print, PNG) at twice the pixels: sharp when printed or placed in a document.
      devicePixelRatio: theme.name === 'paper' ? 2 : undefined,
      color: theme.text,
      scales,
      plugins: {
        ...config.options?.plugins,
        legend: { ...config.options?.plugins?.legend, labels: { color: theme.text, usePointStyle: true } },
        paperBackground: { color: theme.background },
      } as never,
    },
  } as ChartConfiguration<ChartType>;
}

type Live = { chart: Chart; make: MakeChart; title: string };
/** The page's charts in the order they are shown. */
const live = new Set<Live>();

/** Draw `make` on the canvas; returns the function that removes it. */
export function drawChart(canvas: HTMLCanvasElement, make: MakeChart, title: string): () => void {
  const theme = printing ? PAPER : SCREEN;
  const entry: Live = { chart: new Chart(canvas, themed(make(theme), theme)), make, title };
  live.add(entry);
  if (printing) sizeForPaper(entry.chart);
  return () => {
    live.delete(entry);
    entry.chart.destroy();
  };
}

function apply(entry: Live, theme: Theme): void {
  const c = themed(entry.make(theme), theme);
  entry.chart.data = c.data;
  entry.chart.options = c.options ?? {};
  entry.chart.update('none');
}

// ---- Print ----

/** A4 portrait less the print margins (styles.css @page), in CSS pixels. */
export const PAPER_WIDTH = 700;
const PAPER_HEIGHT = 250;

let printing = false;

function sizeForPaper(chart: Chart): void {
  chart.resize(PAPER_WIDTH, PAPER_HEIGHT);
}

/** Light colours and the paper's width while the page is printed (or emulated as print), screen after. */
function setPrinting(on: boolean): void {
  if (on === printing) return;
  printing = on;
  for (const entry of live) {
    apply(entry, on ? PAPER : SCREEN);
    if (on) sizeForPaper(entry.chart);
    else entry.chart.resize();
  }
}

const printMedia = matchMedia('print');
printMedia.addEventListener('change', (e) => setPrinting(e.matches));
addEventListener('beforeprint', () => setPrinting(true));
addEventListener('afterprint', () => setPrinting(printMedia.matches));

// ---- PNG ----

/** A copy of the chart as drawn on paper, at twice the pixels of its size on the page. */
function paperCanvas(entry: Live): HTMLCanvasElement {
  const { chart } = entry;
  apply(entry, PAPER);
  chart.resize(chart.width, chart.height);
  const out = document.createElement('canvas');
  out.width = chart.canvas.width;
  out.height = chart.canvas.height;
  out.getContext('2d')!.drawImage(chart.canvas, 0, 0);
  if (!printing) {
    apply(entry, SCREEN);
    chart.resize();
  }
  return out;
}

const toPng = (canvas: HTMLCanvasElement) =>
  new Promise<Blob>((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the canvas gave no PNG'))), 'image/png'),
  );

/** One chart (drawn on `canvas`) as a PNG on white. */
export function chartPng(canvas: HTMLCanvasElement): Promise<Blob> {
  const entry = [...live].find((e) => e.chart.canvas === canvas);
  if (!entry) return Promise.reject(new Error('no chart on this canvas'));
  return toPng(paperCanvas(entry));
}

/** Every chart of the page under a heading, one below the other, as one PNG on white. */
export function pagePng(heading: readonly string[]): Promise<Blob> {
  const width = 1400;
  const pad = 24;
  const lineHeight = 34;
  const parts = [...live].map((e) => ({ title: e.title, image: paperCanvas(e) }));
  const scaled = parts.map((p) => ({ ...p, height: Math.round((p.image.height * (width - 2 * pad)) / p.image.width) }));
  const top = pad + heading.length * lineHeight + pad;
  const height = scaled.reduce((h, p) => h + lineHeight + p.height + pad, top);
  const out = document.createElement('canvas');
  out.width = width;
  out.height = height;
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = PAPER.background!;
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = PAPER.text;
  ctx.textBaseline = 'top';
  heading.forEach((line, i) => {
    ctx.font = `${i === 0 ? 'bold 28px' : '22px'} system-ui, sans-serif`;
    ctx.fillText(line, pad, pad + i * lineHeight);
  });
  let y = top;
  ctx.font = 'bold 22px system-ui, sans-serif';
  for (const p of scaled) {
    ctx.fillText(p.title, pad, y);
    y += lineHeight;
    ctx.drawImage(p.image, pad, y, width - 2 * pad, p.height);
    y += p.height + pad;
  }
  return toPng(out);
}
