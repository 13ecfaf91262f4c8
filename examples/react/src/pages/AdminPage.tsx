import { isAxiosError } from 'axios';
import { useEffect, useState } from 'react';

import { api } from '../api/client';

export function AdminPage() {
  const [stats, setStats] = useState('');

  useEffect(() => {
    const abort = new AbortController();
    api.get('/api/admin/stats', { signal: abort.signal }).then(
      (res) => setStats(JSON.stringify(res.data)),
      (err: unknown) => {
        const status = isAxiosError(err) ? (err.response?.status ?? 0) : 0;
        setStats(`not allowed (${status})`);
      },
    );
    return () => abort.abort();
  }, []);

  return (
    <>
      <h1>Admin</h1>
      <p>{stats}</p>
    </>
  );
}
