"""The demo API the SPA calls with its access token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from mock_backend.deps import AdminUser, BackendDep, CurrentUser
from mock_backend.profile import Resources
from mock_backend.users import all_users


class JobCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[StrictStr, Field(min_length=1, max_length=200)]


def build_router(resources: Resources) -> APIRouter:
    """The demo resources at the paths the API profile gives them."""
    router = APIRouter(tags=["demo"])
    # `async def` where nothing may block (the job board's lock is held only for a copy);
    # the admin's count reads the whole store and may wait for it, in a worker thread.

    @router.get(resources.current_user.path)
    async def current_user(user: CurrentUser) -> dict[str, str]:
        return user.public()

    @router.get(resources.list.path)
    async def job_list(user: CurrentUser, backend: BackendDep) -> Any:
        # Only the token's user: a `userId` query parameter is ignored, never trusted.
        jobs = backend.jobs.for_user(user.id)
        return {resources.list_field: jobs} if resources.list_field else jobs

    async def create_job(body: JobCreate, user: CurrentUser, backend: BackendDep) -> dict[str, Any]:
        return backend.jobs.create(user.id, body.title, backend.clock.now())

    def admin_stats(admin: AdminUser, backend: BackendDep) -> dict[str, Any]:
        now = backend.clock.now()
        return {"users": len(all_users()), "liveSessions": backend.sessions.live_count(now),
                "jobs": backend.jobs.count()}

    # An API may have neither (its profile leaves them out).
    if resources.create is not None:
        router.post(resources.create.path, status_code=201)(create_job)
    if resources.admin is not None:
        router.get(resources.admin.path)(admin_stats)
    return router
