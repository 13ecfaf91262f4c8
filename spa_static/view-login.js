// Login: the form posts through AuthService.login; on success the router's guest guard
// sends the user on to `returnUrl`.

import { byTestId, fromTemplate, say } from "./dom.js";

export function loginView(auth) {
  return {
    mount(outlet) {
      const view = fromTemplate("view-login");
      const form = byTestId(view, "login-form");
      const username = byTestId(view, "login-username");
      const password = byTestId(view, "login-password");
      const submit = byTestId(view, "login-submit");
      const error = byTestId(view, "login-error");

      async function signIn() {
        if (!username.value.trim() || !password.value) {
          say(error, "Enter a username and a password.");
          return;
        }
        say(error, "");
        submit.disabled = true;
        try {
          await auth.login(username.value.trim(), password.value);
        } catch (err) {
          if (!view.isConnected) return;
          say(error, err.message);
          password.value = "";
          password.focus();
        } finally {
          submit.disabled = false;
        }
      }

      form.addEventListener("submit", (e) => {
        e.preventDefault();
        signIn();
      });
      outlet.append(view);
      username.focus();
    },
  };
}
