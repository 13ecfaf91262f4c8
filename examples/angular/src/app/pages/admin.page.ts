import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { Component, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { catchError, map, of } from 'rxjs';

import { API_BASE } from '../api-base';

@Component({
  selector: 'app-admin',
  template: `<h1>Admin</h1><p>{{ stats() }}</p>`,
})
export class AdminPage {
  private readonly http = inject(HttpClient);

  protected readonly stats = toSignal(
    this.http.get(`${inject(API_BASE)}/api/admin/stats`).pipe(
      map((body) => JSON.stringify(body)),
      catchError((err: HttpErrorResponse) => of(`not allowed (${err.status})`)),
    ),
    { initialValue: '' },
  );
}
