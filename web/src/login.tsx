// The login form. Its click is also the user gesture that lets the page play sound.
import { useState } from 'preact/hooks';
import { ApiError, login, type User } from './api.js';
import { unlockAudio } from './announce.js';
import { t } from './i18n.js';
import { LanguageSwitch } from './shell.js';

export function Login({ signedIn }: { signedIn: (u: User) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<'wrong' | 'failed' | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    unlockAudio();
    setError(null);
    try {
      signedIn(await login(username, password));
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'wrong' : 'failed');
    }
  };
  return (
    <main class="login">
      <div class="login-top">
        <h1>Responscenter</h1>
        <LanguageSwitch />
      </div>
      <form onSubmit={submit}>
        <label>
          {t('login.username')}
          <input
            name="username"
            autocomplete="username"
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </label>
        <label>
          {t('login.password')}
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <button type="submit" class="primary">
          {t('login.logIn')}
        </button>
        {error && <p role="alert">{error === 'wrong' ? t('login.wrong') : t('notice.failed')}</p>}
      </form>
    </main>
  );
}
