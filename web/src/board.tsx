// The operators' live board: one row per incident, most urgent first, with filters by municipality and
// status. Long boards are virtualised (only the rows in view and a few around them are in the page),
// so 500 open alarms scroll as smoothly as five.
import { computed, effect, signal } from '@preact/signals';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { User } from './api.js';
import { ApiError, claim } from './api.js';
import { flashing } from './announce.js';
import { citizens } from './citizens.js';
import { alarms } from './feed.js';
import { t } from './i18n.js';
import {
  incidentsOf,
  isOverdue,
  passes,
  STATUS_FILTERS,
  unansweredSeconds,
  type Filters,
  type Incident,
  type StatusFilter,
} from './incidents.js';
import { answerTargetSeconds, municipalities, municipalityName } from './municipalities.js';
import { reasonTexts } from './reasons.js';
import { clockTime, duration, now, secondsSince } from './time.js';

/** Fixed row height (px), the same as `.board tr.row` in styles.css: the virtual window is computed from it. */
export const ROW_HEIGHT = 56;
/** Boards longer than this render only the rows in view. */
const VIRTUALISE_ABOVE = 100;
/** Rows rendered above and below the view, so a fast scroll or arrow key finds them ready. */
const OVERSCAN = 10;

/** Every open incident, most urgent first (unfiltered: N, the escalation band and counts use it). */
export const incidents = computed(() => incidentsOf(alarms.value.values()));

/** The incident whose detail is open. */
export const selected = signal<string | null>(null);
// An incident decided (here or elsewhere) leaves the board, and its detail closes.
effect(() => {
  const id = selected.value;
  if (id !== null && !incidents.value.some((i) => i.id === id)) selected.value = null;
});

/** What the last action of the operator came to, when it did not go through. */
export type Notice = { kind: 'refused'; alarmId: string } | { kind: 'failed' } | { kind: 'nothingToClaim' };
export const notice = signal<Notice | null>(null);

// ---- Filters (kept per user in this browser) ----

export const filters = signal<Filters>({ municipalities: [], status: 'all' });
let filterKey: string | null = null;

export function loadFilters(user: User): void {
  filterKey = `rc.filters.${user.username}`;
  try {
    const f = JSON.parse(localStorage.getItem(filterKey) ?? 'null') as Partial<Filters> | null;
    filters.value = {
      municipalities: Array.isArray(f?.municipalities) ? f.municipalities.filter((m) => typeof m === 'string') : [],
      status: STATUS_FILTERS.includes(f?.status as StatusFilter) ? (f!.status as StatusFilter) : 'all',
    };
  } catch {
    filters.value = { municipalities: [], status: 'all' };
  }
}

function setFilters(f: Filters): void {
  filters.value = f;
  if (filterKey) localStorage.setItem(filterKey, JSON.stringify(f));
}

export const overdue = (i: Incident, at = now.value) => isOverdue(i, answerTargetSeconds(i.lead.municipality), at);

/** The rows the filters let through (the board and N show these). */
export const shown = computed(() => {
  const f = filters.value;
  // A stored filter naming a municipality outside this user's scope selects nothing: ignore it.
  const scope = new Set(municipalities.value.map((m) => m.id));
  const ms = f.municipalities.filter((m) => scope.has(m));
  const effective = { ...f, municipalities: ms };
  const at = f.status === 'escalated' ? now.value : 0;
  return incidents.value.filter((i) => passes(i, effective, f.status === 'escalated' && overdue(i, at)));
});

// ---- Claiming ----

/** Claim the incident: its most urgent alarm nobody holds (the server takes the incident's other ones). */
export async function take(i: Incident, open = true): Promise<void> {
  const target = i.unclaimed;
  if (!target) return;
  notice.value = null;
  try {
    await claim(target.id);
    if (open) selected.value = i.id;
  } catch (err) {
    notice.value =
      err instanceof ApiError && err.status === 409 ? { kind: 'refused', alarmId: target.id } : { kind: 'failed' };
  }
}

/** N: the most urgent incident on the board that nobody has answered. */
export function takeNext(): void {
  const next = shown.value.find((i) => i.unclaimed !== null);
  if (next) void take(next);
  else notice.value = { kind: 'nothingToClaim' };
}

export function noticeText(n: Notice): string {
  if (n.kind === 'failed') return t('notice.failed');
  if (n.kind === 'nothingToClaim') return t('notice.nothingToClaim');
  // The holder comes with the feed's change, usually before the refusal's answer: the text follows it.
  const holder = alarms.value.get(n.alarmId)?.claimedBy;
  return holder ? t('notice.claimedBy', { holder }) : t('notice.claimedByOther');
}

// ---- Rows ----

function CitizenCell({ i }: { i: Incident }) {
  const a = i.lead;
  if (a.unknownDevice || a.citizenId === null)
    return (
      <td class="citizen">
        <span class="name">{t('board.unknownDevice')}</span>
        <span class="sub">{a.deviceId}</span>
      </td>
    );
  const c = citizens.value.get(a.citizenId);
  return (
    <td class="citizen">
      <span class="name">{c ? c.name : c === null ? a.citizenId : '…'}</span>
      <span class="sub">{c ? c.address : a.deviceId}</span>
    </td>
  );
}

function TriageCell({ i }: { i: Incident }) {
  const tr = i.lead.triage;
  if (!tr)
    return (
      <td class="triage untriaged">
        <span class="name">
          <span aria-hidden="true">◇ </span>
          {t('board.untriaged')}
        </span>
      </td>
    );
  return (
    <td class={`triage class-${tr.class}`}>
      <span class="name">
        <strong>{t(`class.${tr.class}`)}</strong> · <span class={`prio p${tr.priority}`}>P{tr.priority}</span>
      </span>
      <span class="sub">{reasonTexts(tr)[0] ?? ''}</span>
    </td>
  );
}

/** A due planned call or night check: its due time and window, and the time left to the window's end. */
function DueCell({ i, late, answerBy }: { i: Incident; late: boolean; answerBy: string }) {
  const left = Math.floor((Date.parse(answerBy) - now.value) / 1000);
  return (
    <td class="wait">
      <span class="name">{t('board.due', { time: clockTime(i.dueAt), end: clockTime(answerBy) })}</span>
      {i.unclaimed ? (
        late ? (
          <span class="sub overdue-text">
            <span aria-hidden="true">⚠ </span>
            {t('board.overdue', { time: duration(-left) })}
          </span>
        ) : (
          <span class="sub">{t('board.windowLeft', { time: duration(left) })}</span>
        )
      ) : null}
    </td>
  );
}

function WaitCell({ i, late }: { i: Incident; late: boolean }) {
  if (i.answerBy !== null) return <DueCell i={i} late={late} answerBy={i.answerBy} />;
  const waited = secondsSince(i.receivedAt);
  const unanswered = unansweredSeconds(i, now.value);
  const target = answerTargetSeconds(i.lead.municipality);
  return (
    <td class="wait">
      <span class="name">{duration(waited)}</span>
      {unanswered !== null && i.answerTarget ? (
        late ? (
          <span class="sub overdue-text">
            <span aria-hidden="true">⚠ </span>
            {t('board.overdue', { time: duration(unanswered - target) })}
          </span>
        ) : (
          <span class="sub">{t('board.remaining', { time: duration(target - unanswered) })}</span>
        )
      ) : null}
    </td>
  );
}

function HolderCell({ i }: { i: Incident }) {
  return (
    <td class="holder">
      <span class="state">
        {i.holders.length > 0 && (
          <span class="taken-by">
            <span aria-hidden="true">✓ </span>
            {i.holders.join(', ')}
          </span>
        )}
        {i.unclaimed && (
          <span class="unanswered-text">
            <span aria-hidden="true">● </span>
            {i.holders.length > 0 ? t('board.newUnanswered') : t('board.unanswered')}
          </span>
        )}
      </span>
      <span class="actions">
        {i.unclaimed && (
          <button type="button" class="claim" onClick={() => take(i)}>
            {t('board.claim')}
          </button>
        )}
        <button type="button" onClick={() => (selected.value = i.id)}>
          {t('board.open')}
        </button>
      </span>
    </td>
  );
}

function moveFocus(from: HTMLElement, step: 1 | -1 | 'first' | 'last'): void {
  const body = from.parentElement;
  if (!body) return;
  const rows = [...body.querySelectorAll<HTMLElement>('tr.row')];
  const at = rows.indexOf(from);
  const to = step === 'first' ? rows[0] : step === 'last' ? rows[rows.length - 1] : rows[at + step];
  to?.focus();
}

function Row({ i, index }: { i: Incident; index: number }) {
  const late = overdue(i);
  const classes = [
    'row',
    i.unclaimed ? 'unanswered' : 'taken',
    late && 'overdue',
    i.escalation && 'escalated',
    flashing.value.has(i.id) && 'flash',
    selected.value === i.id && 'selected',
  ].filter(Boolean);
  const count = i.alarms.length;
  return (
    <tr
      class={classes.join(' ')}
      tabIndex={0}
      aria-rowindex={index + 2}
      data-incident={i.id}
      data-alarm={i.lead.id}
      data-alarms={i.alarms.map((a) => a.id).join(' ')}
      onKeyDown={(e) => {
        if (e.target !== e.currentTarget) return;
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          selected.value = i.id;
        } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp' || e.key === 'Home' || e.key === 'End') {
          e.preventDefault();
          const step = { ArrowDown: 1, ArrowUp: -1, Home: 'first', End: 'last' } as const;
          moveFocus(e.currentTarget, step[e.key]);
        }
      }}
    >
      <td class="municipality">{municipalityName(i.lead.municipality)}</td>
      <td class="type">
        <span class="name">
          {t(`type.${i.lead.type}`)}
          {count > 1 && <span class="count"> ×{count}</span>}
        </span>
        {count > 1 && (
          <span class="sub">
            {t('board.events', { count })}
            {i.newest.type !== i.lead.type && ` · ${t('board.latest', { type: t(`type.${i.newest.type}`) })}`}
          </span>
        )}
        {i.escalation && (
          <span class="sub escalated-text">
            <span aria-hidden="true">▲ </span>
            {t(`escalation.${i.escalation.reason}`)}
          </span>
        )}
      </td>
      <CitizenCell i={i} />
      <TriageCell i={i} />
      <WaitCell i={i} late={late} />
      <HolderCell i={i} />
    </tr>
  );
}

/** The spacer standing in for rows outside the view (a CSSOM height: the page's CSP allows no inline style). */
const Spacer = ({ rows }: { rows: number }) =>
  rows > 0 ? (
    <tr class="spacer" aria-hidden="true">
      <td colSpan={6} style={{ height: `${rows * ROW_HEIGHT}px` }} />
    </tr>
  ) : null;

/** Keeps the keyboard where it was when rows move (a reorder may take the focused row out and back in). */
function useKeptFocus(container: { current: HTMLElement | null }) {
  const focused = useRef<string | null>(null);
  useLayoutEffect(() => {
    const el = container.current;
    if (!el) return;
    const onFocus = (e: FocusEvent) => {
      const row = (e.target as HTMLElement).closest?.('tr.row');
      focused.current = row instanceof HTMLElement ? (row.dataset.incident ?? null) : null;
    };
    // Moving to something else outside the board lets go; a row taken out of the page (no next target) does not.
    const onBlur = (e: FocusEvent) => {
      if (e.relatedTarget instanceof Node && !el.contains(e.relatedTarget)) focused.current = null;
    };
    el.addEventListener('focusin', onFocus);
    el.addEventListener('focusout', onBlur);
    return () => {
      el.removeEventListener('focusin', onFocus);
      el.removeEventListener('focusout', onBlur);
    };
  }, []);
  useLayoutEffect(() => {
    if (document.activeElement !== document.body || !focused.current) return;
    container.current
      ?.querySelector<HTMLElement>(`tr.row[data-incident="${CSS.escape(focused.current)}"]`)
      ?.focus({ preventScroll: true });
  });
}

function FilterBar() {
  const f = filters.value;
  const all = municipalities.value;
  const hidden = incidents.value.length - shown.value.length;
  return (
    <div class="filters" role="group" aria-label={t('filters.label')}>
      {all.length > 1 && (
        <fieldset>
          <legend>{t('filters.municipalities')}</legend>
          {all.map((m) => (
            <label key={m.id}>
              <input
                type="checkbox"
                checked={f.municipalities.includes(m.id)}
                onChange={(e) =>
                  setFilters({
                    ...f,
                    municipalities: e.currentTarget.checked
                      ? [...f.municipalities, m.id]
                      : f.municipalities.filter((x) => x !== m.id),
                  })
                }
              />
              {m.name}
            </label>
          ))}
        </fieldset>
      )}
      <label class="status-filter">
        {t('filters.status')}
        <select value={f.status} onChange={(e) => setFilters({ ...f, status: e.currentTarget.value as StatusFilter })}>
          {STATUS_FILTERS.map((s) => (
            <option key={s} value={s}>
              {t(`filters.statuses.${s}`)}
            </option>
          ))}
        </select>
      </label>
      {hidden > 0 && (
        <p class="hidden-count">
          <span aria-hidden="true">⚑ </span>
          {t('filters.hidden', { count: hidden })}
        </p>
      )}
    </div>
  );
}

export function Board() {
  const rows = shown.value;
  const scroller = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 800 });
  useLayoutEffect(() => {
    const el = scroller.current!;
    const measure = () => setView({ top: el.scrollTop, height: el.clientHeight });
    measure();
    const resize = new ResizeObserver(measure);
    resize.observe(el);
    el.addEventListener('scroll', measure, { passive: true });
    return () => {
      resize.disconnect();
      el.removeEventListener('scroll', measure);
    };
  }, []);
  useKeptFocus(scroller);

  let from = 0;
  let to = rows.length;
  if (rows.length > VIRTUALISE_ABOVE) {
    from = Math.max(0, Math.floor(view.top / ROW_HEIGHT) - OVERSCAN);
    to = Math.min(rows.length, Math.ceil((view.top + view.height) / ROW_HEIGHT) + OVERSCAN);
  }
  const total = incidents.value.length;
  return (
    <section class="board-section" aria-labelledby="board-caption">
      <FilterBar />
      <div class="scroller" ref={scroller}>
        <table class="board" aria-rowcount={rows.length + 1}>
          <caption id="board-caption">
            {t('board.caption', { count: total })}
            {rows.length !== total && ` · ${t('board.shown', { count: rows.length })}`}
          </caption>
          <thead>
            <tr aria-rowindex={1}>
              <th scope="col">{t('board.municipality')}</th>
              <th scope="col">{t('board.type')}</th>
              <th scope="col">{t('board.citizen')}</th>
              <th scope="col">{t('board.triage')}</th>
              <th scope="col">{t('board.waiting')}</th>
              <th scope="col">{t('board.holder')}</th>
            </tr>
          </thead>
          <tbody>
            <Spacer rows={from} />
            {rows.slice(from, to).map((i, k) => (
              <Row key={i.id} i={i} index={from + k} />
            ))}
            <Spacer rows={rows.length - to} />
          </tbody>
        </table>
        {rows.length === 0 && <p class="empty">{total === 0 ? t('board.empty') : t('board.emptyFiltered')}</p>}
      </div>
    </section>
  );
}
