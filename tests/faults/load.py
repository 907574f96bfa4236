"""Load for a continuous sync: desktop edits (the kit's player) and online edits (through the
records' services, as the pages and the API make them) at a steady rate, each in a thread."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from licensing.models import Company
from records.models import Activity, Contact, ContactPerson, Record
from records.services import RecordInUse, create_record, delete_record, update_record
from syncengine.companydb.desktop import play_desktop_users

CITIES = ("Amersfoort", "Deventer", "Leiden", "Nijmegen", "Maastricht", "Assen")


def _any(model: type[Record], company: Company, rng: random.Random) -> Record | None:
    records = model._default_manager.filter(company=company)
    bounds = records.order_by("pk").values_list("pk", flat=True)
    low, high = bounds.first(), records.order_by("-pk").values_list("pk", flat=True).first()
    if low is None or high is None:
        return None
    return records.filter(pk__gte=rng.randint(low, high)).order_by("pk").first()


class OnlineEditor:
    """Makes one online edit at a time: contacts changed and made, activities made and
    deleted, contact persons changed. Every edit is valid for the company database, so that
    none is refused there (a refused insert would stay online only)."""

    def __init__(self, company: Company, rng: random.Random) -> None:
        self.company = company
        self.rng = rng
        self.made = 0

    def edit(self) -> None:
        move = self.rng.choices(
            [self.change_contact, self.make_contact, self.make_activity, self.drop_activity,
             self.change_person],
            [40, 15, 20, 10, 15],
        )[0]  # fmt: skip
        move()

    def change_contact(self) -> None:
        contact = _any(Contact, self.company, self.rng)
        if contact is not None:
            field, value = self.rng.choice(
                (
                    ("city", self.rng.choice(CITIES)),
                    ("phone", f"010-{self.rng.randrange(1_000_000, 9_999_999)}"),
                    ("notes", f"Online {self.rng.randrange(10**6)}"),
                )
            )
            update_record(record=contact, values={field: value})

    def make_contact(self) -> None:
        self.made += 1
        create_record(
            company=self.company,
            model=Contact,
            values={"name": f"Online klant {self.made}", "city": self.rng.choice(CITIES)},
        )

    def make_activity(self) -> None:
        contact = _any(Contact, self.company, self.rng)
        starts = timezone.now().replace(microsecond=0) + timedelta(days=self.rng.randint(0, 9))
        create_record(
            company=self.company,
            model=Activity,
            values={"subject": "Online afspraak", "kind": "meeting", "starts_at": starts,
                    "contact": contact},
        )  # fmt: skip

    def drop_activity(self) -> None:
        activity = _any(Activity, self.company, self.rng)
        if activity is not None:
            with suppress(RecordInUse):  # someone refers to it now: leave it
                delete_record(record=activity)

    def change_person(self) -> None:
        person = _any(ContactPerson, self.company, self.rng)
        if person is not None:
            update_record(
                record=person, values={"position": self.rng.choice(("Inkoper", "Eigenaar", ""))}
            )


class Load:
    """Desktop and online edits at `rate` per second each, in two threads, until stopped."""

    def __init__(self, *, dsn: str, company: Company, rate: float, rng: random.Random) -> None:
        self.errors: list[BaseException] = []
        self.online_edits = 0
        self.desktop_edits = 0
        self.stopping = threading.Event()
        desktop_rng = random.Random(rng.randrange(10**9))
        editor = OnlineEditor(company, random.Random(rng.randrange(10**9)))

        def desktop() -> None:
            while not self.stopping.is_set():
                batch = int(rate) + 1  # about a second of edits per connection
                play_desktop_users(dsn, changes=batch, rate=rate, seed=desktop_rng.randrange(10**9))
                self.desktop_edits += batch

        def online() -> None:
            started = time.monotonic()
            while not self.stopping.is_set():
                wait = started + self.online_edits / rate - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                editor.edit()
                self.online_edits += 1

        self.threads = [self._thread(desktop), self._thread(online)]

    def _thread(self, work: Callable[[], None]) -> threading.Thread:
        def run() -> None:
            try:
                work()
            except BaseException as error:
                self.errors.append(error)
                raise
            finally:
                connection.close()

        return threading.Thread(target=run, daemon=True)

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    @property
    def running(self) -> bool:
        return all(thread.is_alive() for thread in self.threads)

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)
        assert not self.errors, self.errors
