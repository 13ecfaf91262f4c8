import { useEffect, useState } from 'react';

import { api, type User } from '../api/client';

interface Job {
  id: number;
  title: string;
}

export function ProfilePage() {
  const [me, setMe] = useState<User | null>(null);
  const [jobs, setJobs] = useState<Job[]>([]);

  // Both at once, through the interceptor: an expired token means one refresh for the two.
  useEffect(() => {
    const abort = new AbortController();
    api
      .get<User>('/api/current-user', { signal: abort.signal })
      .then((res) => setMe(res.data), () => setMe(null));
    api
      .get<{ jobs: Job[] }>('/api/job-list', { signal: abort.signal })
      .then((res) => setJobs(res.data.jobs), () => setJobs([]));
    return () => abort.abort();
  }, []);

  return (
    <>
      <h1>Profile</h1>
      <p data-testid="current-user">{me && `${me.name} (${me.username})`}</p>
      <ul>
        {jobs.map((job) => (
          <li key={job.id} data-testid="job-item">
            {job.title}
          </li>
        ))}
      </ul>
    </>
  );
}
