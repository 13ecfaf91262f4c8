import { StrictMode } from 'react';
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';

import { api } from './api/client';
import { App } from './App';
import { installAuthInterceptor } from './auth/interceptor';
import { session } from './auth/session';
import './styles.css';

installAuthInterceptor(api);

const root = createRoot(document.getElementById('root')!);

/** The silent refresh first, so that the first page is chosen logged in: a reload stays. */
export const ready: Promise<void> = session.restore().then(() => {
  flushSync(() =>
    root.render(
      <StrictMode>
        <App />
      </StrictMode>,
    ),
  );
});
