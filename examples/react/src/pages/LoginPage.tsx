import { type FormEvent, useState } from 'react';

import { session } from '../auth/session';

// After a login, the router takes the user on to where they were going (`App`).
export function LoginPage() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    session.login(username, password).catch((err: Error) => setError(err.message));
  };

  return (
    <form data-testid="login-form" onSubmit={submit}>
      <input
        name="username"
        aria-label="Username"
        value={username}
        onChange={(e) => setUsername(e.target.value)}
      />
      <input
        name="password"
        type="password"
        aria-label="Password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <button>Sign in</button>
      <p className="error">{error}</p>
    </form>
  );
}
