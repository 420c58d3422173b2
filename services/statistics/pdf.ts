// The monthly report as PDF, for a municipality's council: one A4 page per municipality and month, in
// Danish, the frozen figures beside today's, the effect and business case, and the assumptions under it.
// pdfkit writes the file; the standard Helvetica needs no embedded font and covers æ, ø and å.
import type { PlannedCounts } from '../../domain/planned.js';
import { TSA_ANSWER_TARGETS } from '../../domain/statistics.js';
import type { MonthRow } from '../../domain/statistics-views.js';
import type { ReportView } from './reports.js';

const MONTH_NAMES = [
  'januar', 'februar', 'marts', 'april', 'maj', 'juni',
  'juli', 'august', 'september', 'oktober', 'november', 'december',
]; // prettier-ignore

const monthName = (m: string) => `${MONTH_NAMES[Number(m.slice(5, 7)) - 1]} ${m.slice(0, 4)}`;

const number = new Intl.NumberFormat('da-DK', { maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat('da-DK', { style: 'percent', maximumFractionDigits: 1 });
const when = new Intl.DateTimeFormat('da-DK', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Copenhagen' });

const n = (x: number | null) => (x === null ? '–' : number.format(x));
const pct = (x: number | null) => (x === null ? '–' : percent.format(x));

type Line = [label: string, value: (r: MonthRow) => string];

const FIGURES: readonly Line[] = [
  ['Alarmer i alt (uden tekniske hændelser, test og afmeldinger)', (r) => n(r.total)],
  ['heraf nødkald', (r) => n(r.emergencyCalls)],
  ['Falske alarmer', (r) => n(r.outcomes.false_alarm)],
  ['Klaret telefonisk', (r) => n(r.outcomes.phone_resolvable)],
  ['Udkald (besøg)', (r) => n(r.outcomes.dispatch)],
  ['Ikke afsluttet', (r) => n(r.outcomes.unresolved)],
  ['Andel falske alarmer', (r) => pct(r.falseAlarmRate)],
  ['Andel klaret telefonisk', (r) => pct(r.phoneResolvableRate)],
  ['Andel udkald', (r) => pct(r.dispatchRate)],
  [`Besvaret inden for 60 s (mål ${pct(TSA_ANSWER_TARGETS.within60s)})`, (r) => pct(r.answeredWithin60s)],
  [`Besvaret inden for 180 s (mål ${pct(TSA_ANSWER_TARGETS.within180s)})`, (r) => pct(r.answeredWithin180s)],
  ['Sekunder til svar, median / 90 %', (r) => `${n(r.medianSecondsToAnswer)} / ${n(r.p90SecondsToAnswer)}`],
  ['Minutter fra udkald til ankomst, median', (r) => n(r.medianMinutesToArrival)],
  ['Vurdering og beslutning enige', (r) => pct(r.triageAgreement)],
  ['Borgere med over 30 alarmer i måneden', (r) => n(r.repeatCallers)],
  ['Tekniske hændelser', (r) => n(Object.values(r.technical).reduce((a, b) => a + b, 0))],
  ['Testsignaler', (r) => n(r.tests)],
  ['Afmeldinger fra borgeren (trykket tæller)', (r) => n(r.cancels)],
  ['Rettede beslutninger', (r) => n(r.corrections)],
];

const EFFECT: readonly Line[] = [
  ['Hjemmeplejebesøg undgået', (r) => n(r.effect.visitsAvoided)],
  ['  svarende til timer', (r) => n(r.effect.visitStaffHours)],
  ['  svarende til kr.', (r) => n(r.effect.visitDkk)],
  ['Natlige tilsyn klaret på afstand', (r) => n(r.effect.nightChecksRemote)],
  ['  svarende til timer', (r) => n(r.effect.nightStaffHours)],
  ['  svarende til kr.', (r) => n(r.effect.nightDkk)],
  ['I alt timer', (r) => n(r.effect.staffHours)],
  ['I alt kr.', (r) => n(r.effect.dkk)],
];

/**
 * Planned calls and night checks of the month (domain/planned.ts PlannedCounts), by where each ended;
 * '–' for a report frozen before reports kept them.
 */
const PLANNED: readonly Line[] = (['planned_call', 'night_check'] as const).flatMap((kind): Line[] => {
  const c =
    (...fs: (keyof PlannedCounts)[]) =>
    (r: MonthRow) =>
      r.plannedWork ? fs.map((f) => n(r.plannedWork![kind][f])).join(' / ') : '–';
  const what = kind === 'planned_call' ? 'Planlagte opkald' : 'Natlige tilsyn';
  const notFound = kind === 'planned_call' ? 'ikke truffet' : 'ikke set';
  return [
    [`${what} i måneden`, c('total')],
    [`  til tiden / for sent / ${notFound} / ikke afsluttet`, c('onTime', 'late', 'missed', 'open')],
    ['  heraf endt med udkald', c('dispatched')],
  ];
});

/** Whether the month has any planned work, frozen or today: the section is printed only then. */
const hasPlannedWork = (r: ReportView) =>
  [r.figures, r.live].some(
    (row) => row.plannedWork && row.plannedWork.planned_call.total + row.plannedWork.night_check.total > 0,
  );

function assumptions(r: ReportView): string[] {
  const s = r.settings;
  return [
    'Hvert nødkald (tryk, fald, røg, epilepsi, seng, dør, vandring), der er afsluttet som falsk alarm eller telefonisk, ' +
      'ville uden responscenter have betydet et besøg af hjemmeplejen; gentagne alarmer i samme hændelse tæller én gang.',
    `Et besøg tager ${s.visitMinutes} minutters personaletid og koster ${number.format(s.visitCostDkk)} kr. (kommunens tal).`,
    `Et natligt tilsyn klaret på afstand (uden udkald) erstatter et besøg af natpatruljen på ${s.nightVisitMinutes} minutter ` +
      `til ${number.format(s.nightVisitCostDkk)} kr.`,
    'Responscentrets egne omkostninger er ikke trukket fra.',
    'Måneder er kalendermåneder i dansk tid efter modtagelse. Andele af beslutninger er regnet af de afsluttede alarmer.',
    ...(hasPlannedWork(r)
      ? [
          'Planlagte opkald og natlige tilsyn tæller i måneden for deres planlagte tidspunkt, hver én gang efter hvordan ' +
            'de endte: til tiden, når centret handlede første gang (tog opgaven, eller borgeren meldte sig via enheden) ' +
            'inden for vinduet; for sent, når det skete efter vinduet; ikke truffet / ikke set efter sidste forsøg sender ' +
            'et udkald. De indgår ikke i svartiderne, der gælder modtagne alarmer.',
        ]
      : []),
  ];
}

/** The reports as one PDF, a page each. */
export async function reportsPdf(reports: readonly ReportView[]): Promise<Buffer> {
  // Loaded when a PDF is asked for: pdfkit and its fonts are a fifth of an idle console's memory.
  const { default: PDFDocument } = await import('pdfkit');
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    autoFirstPage: false,
    info: { Title: 'Responscenter – månedsrapport', Creator: 'Responscenter' },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  for (const r of reports) page(doc, r);
  doc.end();
  return done;
}

function page(doc: PDFKit.PDFDocument, r: ReportView): void {
  doc.addPage();
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;
  const col = [left, left + width * 0.6, left + width * 0.8];
  doc
    .font('Helvetica-Bold')
    .fontSize(16)
    .text(`Månedsrapport: ${r.name}, ${monthName(r.month)}`);
  doc.font('Helvetica').fontSize(9).fillColor('#444');
  doc.text(`Frosset ${when.format(new Date(r.frozenAt))}. Kilde: Responscenter.`);
  if (r.changed)
    doc
      .fillColor('#a00')
      .text(
        `Rettet efter frysning: ${r.correctionsSinceFrozen} beslutning(er). Den frosne måned står til venstre, tallene i dag til højre.`,
      );
  doc.fillColor('black').moveDown();

  const table = (title: string, lines: readonly Line[]) => {
    doc.font('Helvetica-Bold').fontSize(11).text(title, left, doc.y);
    doc.fontSize(9);
    const head = doc.y + 2;
    doc.text('Frosset', col[1], head, { width: width * 0.18, align: 'right' });
    doc.text('I dag', col[2], head, { width: width * 0.18, align: 'right' });
    doc.font('Helvetica');
    for (const [label, value] of lines) {
      const y = doc.y + 2;
      doc.text(label, col[0], y, { width: width * 0.6 });
      doc.text(value(r.figures), col[1], y, { width: width * 0.18, align: 'right' });
      doc.text(value(r.live), col[2], y, { width: width * 0.18, align: 'right' });
    }
    doc.moveDown();
  };
  table('Alarmer og beslutninger', FIGURES);
  table('Effekt og business case', EFFECT);
  if (hasPlannedWork(r)) table('Planlagte opkald og natlige tilsyn', PLANNED);

  doc.font('Helvetica-Bold').fontSize(11).text('Forudsætninger', left, doc.y);
  doc.font('Helvetica').fontSize(8.5);
  for (const a of assumptions(r)) doc.text(`• ${a}`, left, doc.y + 2, { width });
}
