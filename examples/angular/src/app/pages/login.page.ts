import { Component, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';

import { AuthService } from '../auth.service';

@Component({
  selector: 'app-login',
  imports: [FormsModule],
  template: `
    <form data-testid="login-form" (ngSubmit)="submit()">
      <input name="username" aria-label="Username" [(ngModel)]="username" />
      <input name="password" type="password" aria-label="Password" [(ngModel)]="password" />
      <button>Sign in</button>
      <p class="error">{{ error() }}</p>
    </form>
  `,
})
export class LoginPage {
  private readonly auth = inject(AuthService);
  protected username = '';
  protected password = '';
  protected readonly error = signal('');

  // The service takes the user on to where they were going.
  protected submit(): void {
    this.auth.login(this.username, this.password).catch((err: Error) => this.error.set(err.message));
  }
}
