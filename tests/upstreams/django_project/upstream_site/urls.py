"""The URLs of the mode in UPSTREAM_MODE: its token endpoints, and the demo API."""

from django.conf import settings
from django.urls import include, path
from jobs import views

urlpatterns = [
    path("api/current-user", views.CurrentUserView.as_view()),
    path("api/job-list", views.JobListView.as_view()),
    path("api/jobs", views.JobCreateView.as_view()),
    path("api/admin/stats", views.AdminStatsView.as_view()),
]

if settings.MODE == "simplejwt":
    # As SimpleJWT's documentation shows them.
    from rest_framework_simplejwt.views import (
        TokenBlacklistView,
        TokenObtainPairView,
        TokenRefreshView,
    )

    urlpatterns += [
        path("api/token/", TokenObtainPairView.as_view(), name="token_obtain_pair"),
        path("api/token/refresh/", TokenRefreshView.as_view(), name="token_refresh"),
        path("api/token/blacklist/", TokenBlacklistView.as_view(), name="token_blacklist"),
    ]
else:
    urlpatterns += [path("api/auth/", include("dj_rest_auth.urls"))]
