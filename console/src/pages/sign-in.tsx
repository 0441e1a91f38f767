import { useState } from 'preact/hooks';
import { api, ApiError, type Me } from '../api';

export function SignIn({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = (ev: Event): void => {
    ev.preventDefault();
    setBusy(true);
    setError(undefined);
    api<Me>('POST', '/session', { token: token.trim() }).then(
      (me) => {
        setToken('');
        onSignedIn(me);
      },
      (err: unknown) => {
        setBusy(false);
        setError(err instanceof ApiError ? err.message : 'Cannot reach the manager');
      },
    );
  };
  return (
    <main id="main" class="signin">
      <form onSubmit={submit} class="card">
        <h1>Riposte console</h1>
        <p class="muted">Sign in with an API token (riposte token create, or var/admin.token).</p>
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          required
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
        />
        {error !== undefined && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
