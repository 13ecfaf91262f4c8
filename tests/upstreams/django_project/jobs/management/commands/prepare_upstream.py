"""`manage.py prepare_upstream`: the database (migrate), then the accounts of the accounts
file with their seed jobs. Run once, before the server starts."""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from jobs.models import Job

# The reference backend's seed jobs (mock_backend/jobs.py), by username.
SEED_JOBS = {
    "alice": ["Replace the bearings on press 4", "Quarterly audit of access logs",
              "Ship the spring catalogue"],
    "bob": ["Calibrate the north sensors", "Review supplier contracts"],
    "admin": ["Rotate the signing keys"],
}


class Command(BaseCommand):
    help = "Migrate the database and create the accounts of UPSTREAM_ACCOUNTS."

    def handle(self, *args: Any, **options: Any) -> None:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        users = get_user_model()
        with transaction.atomic():
            for account in settings.ACCOUNTS.accounts:
                user = users.objects.filter(username=account.username).first()
                if user is not None:
                    continue  # prepared before: the database is kept
                user = users.objects.create_user(
                    account.username, email=account.email, password=account.password,
                    first_name=account.first_name, last_name=account.last_name,
                    is_staff=account.role == "admin")
                for title in SEED_JOBS.get(account.username, []):
                    Job.objects.create(owner=user, title=title)
        if options["verbosity"] > 1:
            self.stdout.write(f"{len(settings.ACCOUNTS.accounts)} accounts ready")
