// What every signed-in page has: the header (connection, sound, language, user, logout), the live
// region a screen reader follows, and the page-wide keyboard shortcuts.
import { useEffect } from 'preact/hooks';
import type { Role, User } from './api.js';
import { announcement, muted, pageFlash, soundBlocked, toggleMute } from './announce.js';
import { connection } from './feed.js';
import { LANGUAGES, lang, setLanguage, t } from './i18n.js';

export function LanguageSwitch() {
  return (
    <div class="languages" role="group" aria-label={t('header.language')}>
      {LANGUAGES.map((l) => (
        <button key={l} type="button" aria-pressed={lang.value === l} lang={l} onClick={() => setLanguage(l)}>
          {l.toUpperCase()}
        </button>
      ))}
    </div>
  );
}

/** The console's pages. */
export type Page = 'board' | 'statistics';

/** The roles that may read statistics (services/console/access.ts, `stats:read`). */
const STATISTICS_ROLES: readonly Role[] = ['analyst', 'supervisor', 'admin'];

/** The pages a role has, its landing page first: analysts have only the statistics. */
export function pagesOf(role: Role): Page[] {
  if (!STATISTICS_ROLES.includes(role)) return ['board'];
  return role === 'analyst' ? ['statistics'] : ['board', 'statistics'];
}

/** Links between the pages (plain links to `#page`: keyboard, history and a reload all keep the page). */
export function PageNav({ pages, current }: { pages: readonly Page[]; current: Page }) {
  if (pages.length < 2) return null;
  return (
    <nav class="pages" aria-label={t('nav.label')}>
      {pages.map((p) => (
        <a key={p} href={`#${p}`} aria-current={p === current ? 'page' : undefined}>
          {t(`nav.${p}`)}
        </a>
      ))}
    </nav>
  );
}

const CONNECTION_ICON = { live: '●', connecting: '◌', offline: '✕' } as const;

/**
 * `live`: the page follows the live feed (its connection and sound are shown); analysts' does not.
 * `page`: the page shown, for the navigation between a role's pages.
 */
export function Header({
  user,
  onLogout,
  live,
  page,
}: {
  user: User;
  onLogout: () => void;
  live: boolean;
  page: Page;
}) {
  return (
    <header class={pageFlash.value ? 'top flash' : 'top'}>
      <h1>Responscenter</h1>
      <PageNav pages={pagesOf(user.role)} current={page} />
      {live && (
        <span class={`connection ${connection.value}`} role="status">
          <span aria-hidden="true">{CONNECTION_ICON[connection.value]} </span>
          {t(`connection.${connection.value}`)}
        </span>
      )}
      {live && (
        <button type="button" class="mute" aria-pressed={muted.value} onClick={toggleMute} title={t('keys.mute')}>
          <span aria-hidden="true">{muted.value ? '⊘ ' : '♪ '}</span>
          {muted.value ? t('sound.muted') : soundBlocked.value ? t('sound.blocked') : t('sound.on')}
        </button>
      )}
      <LanguageSwitch />
      <span class="user">
        {user.username} · {t(`role.${user.role}`)}
      </span>
      <button type="button" onClick={onLogout}>
        {t('header.logOut')}
      </button>
    </header>
  );
}

/** Spoken announcements (new alarms, escalations, refused claims) for screen readers. */
export function LiveRegion() {
  return (
    <div class="visually-hidden" aria-live="assertive" aria-atomic="true">
      {announcement.value}
    </div>
  );
}

/** Not while typing, and not with a modifier (the browser's own shortcuts stay). */
export const isShortcut = (e: KeyboardEvent) =>
  !e.ctrlKey &&
  !e.metaKey &&
  !e.altKey &&
  !(
    e.target instanceof HTMLInputElement ||
    e.target instanceof HTMLTextAreaElement ||
    e.target instanceof HTMLSelectElement ||
    (e.target instanceof HTMLElement && e.target.isContentEditable)
  );

/** Page-wide keys: `keys` maps a lower-case key to its action (M mutes on every page with sound). */
export function useShortcuts(keys: Record<string, () => void>): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        keys.escape?.();
        return;
      }
      if (!isShortcut(e)) return;
      const action = keys[e.key.toLowerCase()];
      if (!action) return;
      e.preventDefault();
      action();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  });
}
