"""The conformance checks of docs/checks.md, runnable against any SPA with the driver contract.

They use only `window.authHarness`, a few `data-testid` hooks (`login-form`, `nav-profile`,
`job-item`, `current-user`, or the app's own names for them: `--app-config`), the browser and
the backend's test-control API.
"""
