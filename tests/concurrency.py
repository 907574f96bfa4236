"""Two database connections acting at the same moment, for race tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.db import connection, transaction


def at_the_same_moment(
    first: Callable[[], object], second: Callable[[], object]
) -> list[BaseException | None]:
    """Runs `first` in a transaction that stays open a moment after it acted, and `second` in
    another connection while it is open; returns what each raised (None: it succeeded)."""
    first_acted = threading.Event()
    outcomes: list[BaseException | None] = [None, None]

    def run_first() -> None:
        try:
            with transaction.atomic():
                first()
                first_acted.set()
                time.sleep(0.5)  # the second arrives now, while this is not committed
        except BaseException as error:
            outcomes[0] = error
        finally:
            first_acted.set()
            connection.close()

    def run_second() -> None:
        first_acted.wait(timeout=10)
        try:
            second()
        except BaseException as error:
            outcomes[1] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
