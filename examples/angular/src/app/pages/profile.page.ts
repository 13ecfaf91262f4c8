import { HttpClient } from '@angular/common/http';
import { Component, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { catchError, map, of } from 'rxjs';

import { API_BASE, type User } from '../api-base';

interface Job {
  id: number;
  title: string;
}

@Component({
  selector: 'app-profile',
  template: `
    <h1>Profile</h1>
    <p data-testid="current-user">
      @if (me(); as user) {
        {{ user.name }} ({{ user.username }})
      }
    </p>
    <ul>
      @for (job of jobs(); track job.id) {
        <li data-testid="job-item">{{ job.title }}</li>
      }
    </ul>
  `,
})
export class ProfilePage {
  private readonly http = inject(HttpClient);
  private readonly api = inject(API_BASE);

  // Both go through the interceptor: an expired token means one refresh for the two.
  protected readonly me = toSignal(
    this.http.get<User>(`${this.api}/api/current-user`).pipe(catchError(() => of(null))),
  );
  protected readonly jobs = toSignal(
    this.http.get<{ jobs: Job[] }>(`${this.api}/api/job-list`).pipe(
      map((res) => res.jobs),
      catchError(() => of([] as Job[])),
    ),
    { initialValue: [] as Job[] },
  );
}
