"""Run inside Django on the web benchmark's database: a company with a super user and N
contacts; prints the session cookie and an API token as JSON for the load generator."""

from __future__ import annotations

import argparse
import json


def _populate(contacts: int) -> dict[str, str]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from faker import Faker

    from accounts.models import ApiToken
    from records.models import Contact
    from tests.factories import member

    boss = member()
    fake = Faker("nl_NL")
    Faker.seed(1)
    cities = [fake.city() for _ in range(200)]
    batch: list[Contact] = []
    for n in range(contacts):
        batch.append(
            Contact(
                company=boss.company,
                source_id=n + 1,
                row_version=1,
                name=f"{fake.company()} {n}",
                city=cities[n % len(cities)],
                email=f"info{n}@example.nl",
                phone=f"038-{n:07d}",
            )
        )
        if len(batch) == 10_000:
            Contact.objects.bulk_create(batch)
            batch = []
    Contact.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        # As autovacuum would have by the time anyone reads a table this size: the planner's
        # statistics and the visibility map that lets a count read the index alone.
        cursor.execute("VACUUM ANALYZE")
    client = Client()
    client.force_login(boss.user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    _token, secret = ApiToken.issue(membership=boss, name="benchmark")
    return {"session_cookie": f"{cookie.key}={cookie.value}", "api_token": secret}


if __name__ == "__main__":
    import django

    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, required=True)
    django.setup()
    print(json.dumps(_populate(parser.parse_args().contacts)))
