// The console in the browser: the session (log in, log out, a session that ends while the page is open)
// and the page each role works in. Operators, supervisors and administrators get the live board of
// incidents with its escalations, banners and dispatches (supervisors and administrators also the centre
// view); home-care planners the dispatch board; analysts the statistics, which supervisors and
// administrators reach from the header. The statistics page is loaded only when opened: its chart code is
// a chunk of its own that the board never downloads.
import { effect, signal } from '@preact/signals';
import { render } from 'preact';
import { logout, me, type User } from './api.js';
import { announceFeed, toggleMute } from './announce.js';
import { Board, loadFilters, notice, noticeText, selected, takeNext } from './board.js';
import { CentrePanel, StaffingLine, TriageBanner, WebhookBanner } from './centre.js';
import { forgetCitizens, wantCitizens } from './citizens.js';
import { Detail } from './detail.js';
import { DispatchPanel } from './dispatches.js';
import { EscalationBand } from './escalations.js';
import { MaintenancePanel } from './maintenance.js';
import { alarms, dispatches, startFeed, stopFeed } from './feed.js';
import { watchHealth } from './health.js';
import { t } from './i18n.js';
import { Login } from './login.js';
import { forgetMunicipalities, loadMunicipalities } from './municipalities.js';
import { PlannerBoard } from './planner.js';
import { SchedulePanel } from './schedules.js';
import { Header, LiveRegion, pagesOf, useShortcuts, type Page } from './shell.js';
// Types only: the module itself is imported when the page is opened.
import type * as Statistics from './statistics.js';
import './styles.css';

/** undefined while the page asks whether a session is open. */
const user = signal<User | null | undefined>(undefined);
/** What the signed-in session started, stopped at logout. */
let running: (() => void)[] = [];

/** The page the address asks for (`#statistics`); each role shows only its own pages (shell.tsx pagesOf). */
const asked = signal<string>(location.hash.slice(1));
addEventListener('hashchange', () => {
  asked.value = location.hash.slice(1);
  // The board's open detail is closed when the page changes.
  selected.value = null;
});
const pageOf = (u: User): Page => {
  const pages = pagesOf(u.role);
  return pages.find((p) => p === asked.value) ?? pages[0]!;
};

type StatisticsModule = typeof Statistics;
const statistics = signal<StatisticsModule | null>(null);
let loadingStatistics: Promise<void> | null = null;
const loadStatistics = () =>
  (loadingStatistics ??= import('./statistics.js').then(
    (m) => void (statistics.value = m),
    () => void (loadingStatistics = null),
  ));

function signedIn(u: User): void {
  loadFilters(u);
  loadMunicipalities();
  running = [
    announceFeed(u.role),
    watchHealth(u.role),
    // Names and addresses for every citizen the board or the dispatches show.
    effect(() => {
      wantCitizens([...alarms.value.values()].map((a) => a.citizenId));
      wantCitizens([...dispatches.value.values()].map((d) => d.citizenId));
    }),
    // An escalation picked on the statistics page opens on the board.
    effect(() => {
      if (selected.value !== null && asked.peek() === 'statistics') location.hash = '#board';
    }),
  ];
  // Analysts have no live feed (statistics only).
  if (u.role !== 'analyst') startFeed(signOut);
  user.value = u;
}

/** Forget everything the session showed, so the next user of this browser starts from nothing. */
function signOut(): void {
  for (const stop of running) stop();
  running = [];
  stopFeed();
  forgetCitizens();
  forgetMunicipalities();
  selected.value = null;
  notice.value = null;
  user.value = null;
}

async function logOut(): Promise<void> {
  await logout().catch(() => undefined);
  signOut();
}

function OperatorPage({ who }: { who: User }) {
  useShortcuts({ n: takeNext, m: toggleMute, escape: () => (selected.value = null) });
  const n = notice.value;
  return (
    <>
      <Header user={who} onLogout={logOut} live page="board" />
      <LiveRegion />
      <main class="operator">
        <TriageBanner />
        <WebhookBanner />
        <EscalationBand alarms />
        {n && (
          <p class="notice" role="alert">
            {noticeText(n)}
          </p>
        )}
        <div class="toolbar">
          <StaffingLine />
          <p class="hint">{t('keys.hint')}</p>
        </div>
        <div
          class={
            selected.value ? 'workspace with-detail' : who.role === 'operator' ? 'workspace' : 'workspace centre-view'
          }
        >
          <Board />
          {selected.value ? (
            <Detail id={selected.value} />
          ) : (
            <div class="side">
              {who.role !== 'operator' && <CentrePanel />}
              <DispatchPanel />
              <MaintenancePanel />
              {who.role !== 'operator' && <SchedulePanel />}
            </div>
          )}
        </div>
      </main>
    </>
  );
}

function PlannerPage({ who }: { who: User }) {
  useShortcuts({ m: toggleMute });
  return (
    <>
      <Header user={who} onLogout={logOut} live page="board" />
      <LiveRegion />
      <main class="planner-page">
        <EscalationBand alarms={false} />
        <PlannerBoard />
      </main>
    </>
  );
}

/** Analysts' page; supervisors' and administrators' second page, with their escalations and sound kept on. */
function StatisticsPage({ who }: { who: User }) {
  const live = who.role !== 'analyst';
  useShortcuts(live ? { m: toggleMute } : {});
  const m = statistics.value;
  if (!m) void loadStatistics();
  return (
    <>
      <Header user={who} onLogout={logOut} live={live} page="statistics" />
      {live && <LiveRegion />}
      {live && <EscalationBand alarms />}
      {m ? <m.StatisticsPage who={who} /> : <p class="empty">{t('common.loading')}</p>}
    </>
  );
}

function App() {
  const who = user.value;
  if (who === undefined) return <p>{t('common.loading')}</p>;
  if (who === null) return <Login signedIn={signedIn} />;
  if (who.role === 'planner') return <PlannerPage who={who} />;
  if (pageOf(who) === 'statistics') return <StatisticsPage who={who} />;
  return <OperatorPage who={who} />;
}

me().then(signedIn, () => (user.value = null));
render(<App />, document.getElementById('app')!);
