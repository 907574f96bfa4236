"""Every task of ours can be sent: Celery refuses, at send time, a soft limit above the hard one."""

import pytest

from portal.celery import app

app.loader.import_default_modules()  # what a worker does at start: every app's tasks module
OUR_TASKS = sorted(
    name
    for name in app.tasks
    if name.split(".")[0] in {"portal", "syncengine", "invitations", "records"}
)


def test_the_tasks_of_every_app_are_registered():
    assert {"portal.ping", "syncengine.run_sync", "syncengine.start_due_runs"} <= set(OUR_TASKS)


@pytest.mark.parametrize("name", OUR_TASKS)
def test_a_task_has_a_time_limit_and_no_soft_limit_above_it(name):
    task = app.tasks[name]
    hard = task.time_limit or app.conf.task_time_limit
    soft = task.soft_time_limit or app.conf.task_soft_time_limit
    assert hard, f"{name} has no time limit"
    assert soft is None or soft <= hard


def test_every_beat_entry_names_a_registered_task():
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks
