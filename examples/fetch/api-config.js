// The backend API this app speaks: every path, method and field name in one place.
// Written for the reference API; an app written for another API (an API profile of the
// harness, docs: "Testing an app written for another API") changes only this object.
export const API_CONFIG = {
  login: {
    path: "/api/login", body: "json", usernameField: "username", passwordField: "password",
    response: { accessToken: "accessToken", expiresIn: "expiresIn", user: "user" },
  },
  refresh: {
    path: "/api/refresh-token", method: "POST",
    transport: "cookie", // cookie | body | header
    field: "refreshToken", body: "json", extra: {},
    csrfHeader: "X-Requested-With", // "" for none
    failureStatus: 401,
    response: { accessToken: "accessToken", expiresIn: "expiresIn", refreshToken: "" },
  },
  logout: { path: "/api/logout", method: "POST" },
  resources: {
    currentUser: "/api/current-user", list: "/api/job-list", listField: "jobs",
    create: "/api/jobs", admin: "/api/admin/stats",
  },
};
