"""The demo API, as Django REST framework views with its default behaviour: every view
requires an authenticated user (DEFAULT_PERMISSION_CLASSES), and errors are DRF's own
`{"detail": ...}` answers."""

from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.models import Job
from jobs.serializers import JobSerializer, NewJobSerializer, user_json


class IsStaff(BasePermission):
    # A dict as the message: DRF answers it as the body, `code` beside `detail`.
    message = {"detail": "The admin role is required.", "code": "insufficient_scope"}
    code = "insufficient_scope"

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_staff)


class CurrentUserView(APIView):
    def get(self, request: Request) -> Response:
        return Response(user_json(request.user))


class JobListView(APIView):
    def get(self, request: Request) -> Response:
        jobs = Job.objects.filter(owner=request.user)
        return Response({"jobs": JobSerializer(jobs, many=True).data})


class JobCreateView(APIView):
    def post(self, request: Request) -> Response:
        serializer = NewJobSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = Job.objects.create(owner=request.user, title=serializer.validated_data["title"])
        return Response(JobSerializer(job).data, status=status.HTTP_201_CREATED)


class AdminStatsView(APIView):
    permission_classes = [IsAuthenticated, IsStaff]

    def get(self, request: Request) -> Response:
        return Response({"users": get_user_model().objects.count(),
                         "jobs": Job.objects.count()})
