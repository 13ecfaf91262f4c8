"""The fetch example as a team would write it for another API: `api-config.js` rewritten
from an API profile, the rest of the app untouched."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from mock_backend.profile import ApiProfile, load_profile

REPO = Path(__file__).resolve().parents[2]
FETCH_APP = REPO / "examples" / "fetch"


def api_config(profile: ApiProfile) -> dict[str, object]:
    """The app's config object for `profile`, in the shape of examples/fetch/api-config.js."""
    login, refresh, r = profile.login, profile.refresh, profile.resources
    return {
        "login": {"path": login.endpoint.path, "body": _written(login.body),
                  "usernameField": login.username_field, "passwordField": login.password_field,
                  "response": {"accessToken": login.access_token,
                               "expiresIn": login.expires_in, "user": login.user}},
        "refresh": {"path": refresh.endpoint.path, "method": refresh.endpoint.method,
                    "transport": refresh.transport, "field": refresh.field,
                    "body": _written(refresh.body), "extra": refresh.extra,
                    "csrfHeader": refresh.csrf_header, "failureStatus": refresh.failure_status,
                    "response": {"accessToken": refresh.access_token,
                                 "expiresIn": refresh.expires_in,
                                 "refreshToken": refresh.refresh_token}},
        "logout": {"path": profile.logout.path, "method": profile.logout.method},
        "resources": {"currentUser": r.current_user.path, "list": r.list.path,
                      "listField": r.list_field, "create": r.create_path,
                      "admin": r.admin_path},
    }


def build(profile_name: str, into: Path) -> Path:
    """A copy of examples/fetch speaking the API of `profile_name`."""
    target = into / f"fetch-{Path(profile_name).stem}"
    shutil.copytree(FETCH_APP, target)
    config = json.dumps(api_config(load_profile(profile_name)), indent=2)
    (target / "api-config.js").write_text(
        f"// examples/fetch written for the {Path(profile_name).stem} API.\n"
        f"export const API_CONFIG = {config};\n")
    return target


def _written(body_format: str) -> str:
    """The body an app sends: an API that reads JSON or form (`any`) gets JSON."""
    return "json" if body_format == "any" else body_format
