"""The answers' shapes, as the reference API spells them (camelCase `createdAt`)."""

from typing import Any

from rest_framework import serializers

from jobs.models import Job


class JobSerializer(serializers.ModelSerializer):
    owner = serializers.SerializerMethodField()
    createdAt = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = ["id", "title", "owner", "createdAt"]

    def get_owner(self, job: Job) -> str:
        return str(job.owner_id)

    def get_createdAt(self, job: Job) -> float:
        return job.created_at.timestamp()


class NewJobSerializer(serializers.Serializer):
    title = serializers.CharField(min_length=1, max_length=200)


def user_json(user: Any) -> dict[str, str]:
    return {"id": str(user.pk), "username": user.get_username(), "email": user.email,
            "name": user.get_full_name(), "role": "admin" if user.is_staff else "user"}
