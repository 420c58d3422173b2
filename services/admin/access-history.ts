// A citizen's access history, for a subject-access request (GDPR art. 15): every recorded access to
// their data (who, when, what and why, allowed or refused), as JSON and as a printable PDF in Danish.
// pdfkit writes the file; the standard Helvetica covers æ, ø and å.
import type { AuditEventRow } from '../../db/audit.js';
import type { AuditEventView } from '../../domain/audit.js';

export function toAuditEventView(r: AuditEventRow): AuditEventView {
  return {
    id: String(r.id),
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    actorRole: r.actor_role,
    sessionId: r.session_id,
    address: r.address,
    requestId: r.request_id,
    action: r.action as AuditEventView['action'],
    purpose: r.purpose as AuditEventView['purpose'],
    municipality: r.municipality_id,
    citizenId: r.citizen_id,
    alarmId: r.alarm_id,
    outcome: r.outcome as AuditEventView['outcome'],
    reason: r.reason as AuditEventView['reason'],
  };
}

/** What each action means, in the words the citizen reads. */
const ACTION_WORDS: Record<AuditEventView['action'], string> = {
  'card.read': 'Borgerkort læst (navn, adresse, telefon, nøgleboks, noter)',
  'card.read.board': 'Navn og adresse vist på alarmtavlen',
  'alarm.claim': 'Alarm taget til behandling',
  'alarm.resolve': 'Beslutning om alarm registreret',
  'alarm.correct': 'Beslutning om alarm rettet',
  'dispatch.update': 'Hjemmeplejebesøg opdateret',
  'registry.import': 'Stamdata indlæst',
  'registry.citizen': 'Dine stamdata indlæst eller ændret af kommunen',
  'login.success': 'Login',
  'login.failure': 'Login afvist',
  'login.throttled': 'Login afvist (for mange forsøg)',
  logout: 'Log ud',
  'logout.all': 'Log ud overalt',
  'sessions.list': 'Sessioner vist',
  'sessions.revoke': 'Sessioner afsluttet',
  'admin.webhook.set': 'Webhook til kommunens omsorgssystem sat op',
  'admin.webhook.delete': 'Webhook til kommunens omsorgssystem fjernet',
  'audit.query': 'Logningen søgt',
  'audit.access_history': 'Denne oversigt over adgang udskrevet',
  'admin.triage_settings': 'Kommunens triageindstillinger ændret',
  'admin.gateway.key.create': 'Nøgle til alarmgateway oprettet',
  'admin.gateway.key.revoke': 'Nøgle til alarmgateway tilbagekaldt',
  'admin.gateway.disable': 'Alarmgateway slået fra',
  'admin.gateway.enable': 'Alarmgateway slået til igen',
  'schedule.set': 'Planlagt opkald eller natligt tilsyn sat op eller ændret',
  'schedule.delete': 'Planlagt opkald eller natligt tilsyn fjernet',
  'consent.record': 'Samtykke til natligt tilsyn registreret',
  'consent.withdraw': 'Samtykke til natligt tilsyn trukket tilbage',
};

const PURPOSE_WORDS: Record<NonNullable<AuditEventView['purpose']>, string> = {
  alarm_handling: 'ved behandling af en alarm',
  citizen_card: 'opslag på borgerkortet',
  dispatch_planning: 'planlægning af besøg',
  board: 'alarmtavlen',
};

const REASON_WORDS: Record<NonNullable<AuditEventView['reason']>, string> = {
  role: 'rollen giver ikke adgang',
  scope: 'uden for brugerens kommuner',
  not_found: 'findes ikke',
  conflict: 'allerede behandlet af en anden',
  invalid: 'ugyldige data',
  bad_password: 'forkert adgangskode',
  unknown_user: 'ukendt bruger',
  disabled: 'brugeren er spærret',
  throttled: 'for mange forsøg',
};

const when = new Intl.DateTimeFormat('da-DK', {
  dateStyle: 'short',
  timeStyle: 'medium',
  timeZone: 'Europe/Copenhagen',
});

export type AccessHistory = {
  citizen: { id: string; municipality: string; name: string };
  generatedAt: string;
  /** True when there were more rows than shown (narrow with from/to). */
  truncated: boolean;
  events: AuditEventView[];
};

/** The history as one PDF: a heading naming the citizen, then one line per access, oldest first. */
export async function accessHistoryPdf(h: AccessHistory): Promise<Buffer> {
  // Loaded when a PDF is asked for (services/statistics/pdf.ts says why).
  const { default: PDFDocument } = await import('pdfkit');
  const doc = new PDFDocument({
    size: 'A4',
    margin: 40,
    info: { Title: `Adgang til personoplysninger – ${h.citizen.id}`, Creator: 'Responscenter' },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;
  doc.font('Helvetica-Bold').fontSize(15).text('Oversigt over adgang til dine personoplysninger');
  doc.font('Helvetica').fontSize(10);
  doc.text(`${h.citizen.name} (borger-id ${h.citizen.id}, kommune ${h.citizen.municipality})`);
  doc
    .fontSize(8.5)
    .fillColor('#444')
    .text(
      `Udskrevet ${when.format(new Date(h.generatedAt))} (dansk tid) fra Responscenter. Hver linje er én registreret ` +
        'adgang: hvornår, hvem (brugernavn og rolle), hvad og hvorfor, og om adgangen blev givet eller afvist. ' +
        'Logningen opbevares i mindst 6 måneder.',
      { width },
    );
  if (h.truncated)
    doc.fillColor('#a00').text('Oversigten er afkortet: bed om en kortere periode for at se resten.', { width });
  doc.fillColor('black').moveDown();
  const cols = [left, left + width * 0.17, left + width * 0.37, left + width * 0.8];
  const widths = [width * 0.17, width * 0.2, width * 0.43, width * 0.2];
  const row = (cells: string[], bold = false) => {
    if (doc.y > doc.page.height - doc.page.margins.bottom - 30) doc.addPage();
    const y = doc.y + 2;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(8);
    let bottom = y;
    cells.forEach((c, i) => {
      doc.text(c, cols[i]!, y, { width: widths[i]! - 4 });
      bottom = Math.max(bottom, doc.y);
    });
    doc.y = bottom;
  };
  row(['Tidspunkt', 'Hvem', 'Hvad', 'Resultat'], true);
  if (h.events.length === 0) row(['', '', 'Ingen registreret adgang.', '']);
  for (const e of h.events) {
    const what = [
      ACTION_WORDS[e.action],
      e.purpose ? `(${PURPOSE_WORDS[e.purpose]})` : '',
      e.alarmId ? `alarm ${e.alarmId}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    const who = e.actor ? `${e.actor}${e.actorRole ? ` (${e.actorRole})` : ''}` : 'ukendt';
    const outcome = e.outcome === 'allowed' ? 'givet' : `afvist: ${e.reason ? REASON_WORDS[e.reason] : ''}`;
    row([when.format(new Date(e.at)), who, what, outcome]);
  }
  doc.end();
  return done;
}
