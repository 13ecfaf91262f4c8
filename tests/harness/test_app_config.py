"""The app's own routes and hooks (`--app-config`): a team's app need not have the reference
SPA's pages. An app whose routes and `data-testid` values all differ, and that has no admin
page, passes every check in both browsers once the harness is told its names; the messages
name the app's hooks as the app calls them; a malformed file stops the run with one line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harness.browser.app_config import (
    DEFAULT,
    AppConfigError,
    app_config_from_dict,
    load_app_config,
)
from tests.broken import own_routes

if TYPE_CHECKING:
    from tests.harness.conftest import BrowserServers

QUIET = ("--tracing", "off", "--screenshot", "off", "-p", "no:cacheprovider")
NO_ADMIN = ("L5: not checked: the app has no admin page (routes.admin is \"\" in "
            "--app-config)")


def _run(pytester: pytest.Pytester, browsers: BrowserServers, app: Path, config: Path | None,
         *extra: str, engines: tuple[str, ...] = ("chromium",)) -> pytest.RunResult:
    given = ("--app-config", str(config)) if config else ()
    return pytester.runpytest_subprocess(
        "--pyargs", "harness.conformance", "--spa-dir", str(app), *given,
        *browsers.args(*engines), "-rfEs", *QUIET, *extra, timeout=900)


@pytest.mark.long
def test_an_app_with_its_own_routes_and_hooks_passes_every_check_in_both_browsers(
        pytester: pytest.Pytester, tmp_path: Path, browser_servers: BrowserServers) -> None:
    app, config = own_routes.build(tmp_path)
    result = _run(pytester, browser_servers, app, config, engines=("chromium", "firefox"))
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.OK, output[-4000:]
    skipped = [line for line in result.stdout.lines if line.startswith("SKIPPED ")]
    # L5 alone, once per browser: it needs an admin page, and the app has none.
    assert len(skipped) == 1 and "SKIPPED [2]" in skipped[0] and NO_ADMIN in skipped[0], \
        "\n".join(skipped)
    assert result.parseoutcomes().get("passed", 0) >= 100, result.parseoutcomes()


def test_a_failure_names_the_apps_hook_as_the_app_calls_it(
        pytester: pytest.Pytester, tmp_path: Path, browser_servers: BrowserServers) -> None:
    app, config = own_routes.build(tmp_path)
    # The config names an item hook the page does not have: the failure says which, in the
    # app's own words, and what the page shows of its other hooks.
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(config.read_text().replace('item = "task-row"', 'item = "task-item"'))
    result = _run(pytester, browser_servers, app, wrong, "-k", "test_L1_")
    output = result.stdout.str()
    assert "L1: set-up failed: /account shows the 3 items of alice — after 5 s the page " \
           "does not show 3 items of /account (`task-item`)" in output, output[-3000:]
    assert "the page: on /account, signin-form absent, 0 task-item(s), whoami shows " in output


def test_without_the_file_the_contract_names_are_looked_for(
        pytester: pytest.Pytester, tmp_path: Path, browser_servers: BrowserServers) -> None:
    app, _ = own_routes.build(tmp_path)
    result = _run(pytester, browser_servers, app, None, "-k", "test_L1_")
    assert "the page does not show 3 items of /profile (`job-item`)" in result.stdout.str(), \
        result.stdout.str()[-3000:]


def test_every_key_defaults_to_the_contract() -> None:
    assert app_config_from_dict({}) == DEFAULT
    assert DEFAULT.pages() == ["/", "/profile", "/admin", "/login"]
    assert str(DEFAULT.login_form) == "the login page (`login-form`)"
    no_admin = app_config_from_dict({"routes": {"admin": ""}})
    assert not no_admin.has_admin and "" not in no_admin.pages()


@pytest.mark.parametrize(("text", "says"), [
    ('[routes]\nguarded = "account"\n',
     "routes.guarded: 'account' is not a path starting with / (no query, no fragment)"),
    ('[routes]\nguarded = "/account?tab=1"\n', "routes.guarded: '/account?tab=1' is not a path"),
    ('[routes]\nadmin = "admin"\n', "routes.admin: 'admin' is not a path"),
    ('[routes]\nprofile = "/p"\n', "routes.profile: unknown key (known: home, login, guarded, "
                                   "admin)"),
    ('[hooks]\nitem = "job item"\n', "hooks.item: 'job item' is not a data-testid value"),
    ('[hooks]\nitem = 3\n', "hooks.item: 3 is not a string"),
    ('[pages]\n', "pages: unknown table (known: routes, hooks)"),
    ('routes = "/"\n', "routes: must be a table ([routes])"),
    ("[routes\n", "app-config: not valid TOML"),
])
def test_a_malformed_file_is_one_line_naming_the_key(tmp_path: Path, text: str,
                                                     says: str) -> None:
    path = tmp_path / "app.toml"
    path.write_text(text)
    with pytest.raises(AppConfigError) as caught:
        load_app_config(path)
    message = str(caught.value)
    assert message.startswith(f"--app-config {path}: {says}") and "\n" not in message, message


def test_a_malformed_file_stops_the_run_before_any_check(pytester: pytest.Pytester,
                                                         tmp_path: Path) -> None:
    path = tmp_path / "app.toml"
    path.write_text('[hooks]\nlogin = "signin-form"\n')
    result = pytester.runpytest_subprocess("--pyargs", "harness.conformance", "--app-config",
                                           str(path), *QUIET, timeout=120)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()[-2000:]
    errors = [line for line in result.stderr.lines if line.startswith("ERROR: ")]
    assert errors == [f"ERROR: --app-config {path}: hooks.login: unknown key (known: "
                      "login_form, nav_guarded, item, current_user)"], result.stderr.str()
    missing = pytester.runpytest_subprocess("--pyargs", "harness.conformance", "--app-config",
                                            str(tmp_path / "none.toml"), *QUIET, timeout=120)
    assert f"--app-config {tmp_path / 'none.toml'}: app-config: no such file" in \
        missing.stderr.str()
