"""Public verification keys (RFC 7517 JWK Set)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from mock_backend.deps import BackendDep

router = APIRouter(tags=["keys"])


@router.get("/.well-known/jwks.json")
def jwks(backend: BackendDep) -> dict[str, Any]:
    return backend.signer.jwks()
