"""The migration to access profiles: a super user gets the Super user template, every other
member Read only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0002_signup_request"), ("licensing", "0003_services_and_online_desktop")]
AFTER = [("accounts", "0005_profile_required")]


@pytest.mark.django_db(transaction=True)
def test_existing_members_get_the_super_user_or_the_read_only_template():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    company = old.get_model("licensing", "Company").objects.create(name="Oud B.V.")
    User = old.get_model("accounts", "User")
    Membership = old.get_model("accounts", "Membership")
    boss = User.objects.create(email="baas@example.nl", name="Baas")
    clerk = User.objects.create(email="klerk@example.nl", name="Klerk")
    Membership.objects.create(user=boss, company=company, is_super_user=True)
    Membership.objects.create(user=clerk, company=company, is_super_user=False)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    profiles = dict(
        new.get_model("accounts", "Membership").objects.values_list(
            "user__email", "profile__template"
        )
    )

    assert profiles == {"baas@example.nl": "super_user", "klerk@example.nl": "read_only"}


@pytest.fixture(autouse=True)
def back_to_the_latest_migrations():
    """Going back to BEFORE also unapplies the migrations of apps that depend on accounts
    (invitations); later transactional tests need every table again."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
