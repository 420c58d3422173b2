// What every signed-in page has: the header (connection, sound, language, user, logout), the live
// region a screen reader follows, and the page-wide keyboard shortcuts.
import { useEffect } from 'preact/hooks';
import type { User } from './api.js';
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

const CONNECTION_ICON = { live: '●', connecting: '◌', offline: '✕' } as const;

/** `live`: the page follows the live feed (its connection and sound are shown); analysts' does not. */
export function Header({ user, onLogout, live }: { user: User; onLogout: () => void; live: boolean }) {
  return (
    <header class={pageFlash.value ? 'top flash' : 'top'}>
      <h1>Responscenter</h1>
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
