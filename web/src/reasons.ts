// The triage's reasons and what earlier decisions contributed, in the console's language: from the
// reason keys when the server sent them (web/src/locales/*.json `reason.*`, held equal to
// domain/triage-reasons.ts by test/web/locales.test.ts), else the server's English words.
import type { AlarmView } from './api.js';
import { t } from './i18n.js';

type TriageView = NonNullable<AlarmView['triage']>;

export function reasonTexts(tr: TriageView): string[] {
  return tr.reasonKeys ? tr.reasonKeys.map((r) => t(`reason.${r.key}`, { ...r.params })) : tr.reasons;
}

/** One line on what the citizen's, municipality's or centre's decisions predict, or null. */
export function learningText(tr: TriageView): string | null {
  const l = tr.learning;
  if (!l) return null;
  const summary = t('learning.summary', {
    class: t(`class.${l.predicted}`),
    percent: Math.round(l.probabilities[l.predicted] * 100),
    evidence: Math.round(l.evidence * 10) / 10,
    prior: t(`learning.prior.${l.prior}`),
    confidence: Math.round(l.confidence * 100),
  });
  return `${summary} ${l.applied ? t('learning.applied') : t('learning.notApplied')}`;
}
