import os
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core import serializers
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from licensing.models import CompanyDatabase, ForeignDatabaseAttempt
from syncengine.companydb.generator import create_company_database
from syncengine.host import HostCredentials
from syncengine.models import HostDatabase, PairingCode, SyncHost
from syncengine.services import issue_pairing_code, remove_host
from tests.factories import CompanyFactory, MembershipFactory
from tests.workers import BASE_DIR, subprocess_environment


@pytest.fixture
def company_db(tmp_path) -> str:
    dsn = f"sqlite:///{tmp_path / 'production.db'}"
    create_company_database(dsn, contacts=5)
    return dsn


@pytest.fixture
def sample_db(tmp_path) -> str:
    dsn = f"sqlite:///{tmp_path / 'sample.db'}"
    create_company_database(dsn, contacts=5, kind="sample", seed=2)
    return dsn


@pytest.fixture
def admin():
    return MembershipFactory.create(is_super_user=True)


def run_host(*args: str, credential_file: Path) -> str:
    out = StringIO()
    call_command(
        "synchost", "run", *args, "--credential-file", str(credential_file), "--once", stdout=out
    )
    return out.getvalue()


def pair(admin, credential_file: Path, *dsns: str) -> str:
    code = issue_pairing_code(company=admin.company, by=admin.user)
    databases = [argument for dsn in dsns for argument in ("--database", dsn)]
    return run_host("--pair", code, *databases, credential_file=credential_file)


@pytest.mark.django_db
@pytest.mark.smoke
def test_pairing_registers_the_host_with_its_own_queue_and_its_databases(
    admin, company_db, sample_db, tmp_path
):
    credential_file = tmp_path / "synchost.json"
    output = pair(admin, credential_file, company_db, sample_db)

    host = SyncHost.objects.get(company=admin.company)
    assert admin.company.name in output
    assert host.queue.startswith("host-")
    assert host.last_heartbeat_at is not None
    assert sorted(host.databases.values_list("kind", flat=True)) == ["production", "sample"]
    assert oct(credential_file.stat().st_mode & 0o777) == "0o600"


@pytest.mark.django_db
def test_the_portal_never_stores_a_connection_string(admin, company_db, tmp_path):
    pair(admin, tmp_path / "synchost.json", company_db)
    everything = serializers.serialize(
        "json",
        [
            *CompanyDatabase.objects.all(),
            *SyncHost.objects.all(),
            *HostDatabase.objects.all(),
            *PairingCode.objects.all(),
        ],
    )
    assert str(tmp_path) not in everything
    assert "sqlite:" not in everything


@pytest.mark.django_db
def test_a_pairing_code_works_once(admin, company_db, tmp_path):
    code = issue_pairing_code(company=admin.company, by=admin.user)
    args = ("--pair", code, "--database", company_db)
    run_host(*args, credential_file=tmp_path / "first.json")
    with pytest.raises(CommandError, match="wrong, has expired or was used"):
        run_host(*args, credential_file=tmp_path / "second.json")
    assert SyncHost.objects.count() == 1


@pytest.mark.django_db
def test_an_expired_pairing_code_is_refused(admin, company_db, tmp_path):
    code = issue_pairing_code(company=admin.company, by=admin.user)
    PairingCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(CommandError, match="wrong, has expired or was used"):
        run_host("--pair", code, "--database", company_db, credential_file=tmp_path / "h.json")
    assert not SyncHost.objects.exists()


@pytest.mark.django_db
def test_a_pairing_code_is_stored_only_as_a_digest(admin):
    code = issue_pairing_code(company=admin.company, by=admin.user)
    stored = serializers.serialize("json", PairingCode.objects.all())
    assert code not in stored
    assert code.replace("-", "") not in stored


@pytest.mark.django_db
def test_a_removed_host_is_refused(admin, company_db, tmp_path):
    credential_file = tmp_path / "synchost.json"
    pair(admin, credential_file, company_db)
    remove_host(host=SyncHost.objects.get())
    with pytest.raises(CommandError, match="not valid any more"):
        run_host(credential_file=credential_file)


@pytest.mark.django_db
def test_an_unpaired_computer_is_told_how_to_pair(tmp_path):
    with pytest.raises(CommandError, match="not paired yet"):
        run_host(credential_file=tmp_path / "missing.json")


def break_database(dsn: str, sql: str) -> None:
    with sqlite3.connect(dsn.removeprefix("sqlite:///")) as connection:
        connection.executescript(sql)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("DROP TABLE contacts;", "contacts"),
        ("UPDATE company_settings SET schema_version = 0;", "schema"),
    ],
)
def test_a_damaged_company_database_registers_nothing(
    admin, company_db, tmp_path, breakage, message
):
    break_database(company_db, breakage)
    code = issue_pairing_code(company=admin.company, by=admin.user)
    with pytest.raises(CommandError, match=message) as refused:
        run_host("--pair", code, "--database", company_db, credential_file=tmp_path / "h.json")
    assert "Nothing was registered" in str(refused.value)
    assert not SyncHost.objects.exists()
    assert not CompanyDatabase.objects.exists()
    assert PairingCode.objects.usable().count() == 1  # the person may try again


@pytest.mark.django_db
@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://postgres:pa55word@127.0.0.1:1/companydb",  # nothing listens on port 1
        "postgresql://no_such_role:pa55word@127.0.0.1:5432/postgres",
    ],
)
def test_an_unreachable_database_or_wrong_credentials_register_nothing(admin, tmp_path, dsn):
    code = issue_pairing_code(company=admin.company, by=admin.user)
    with pytest.raises(CommandError) as refused:
        run_host("--pair", code, "--database", dsn, credential_file=tmp_path / "h.json")
    assert "pa55word" not in str(refused.value)
    assert "Nothing was registered" in str(refused.value)
    assert not SyncHost.objects.exists()


@pytest.mark.django_db
def test_a_database_of_another_company_is_refused_and_shown_to_staff(admin, company_db, tmp_path):
    pair(admin, tmp_path / "first.json", company_db)
    other = MembershipFactory.create(is_super_user=True)
    with pytest.raises(CommandError, match="registered to another company"):
        pair(other, tmp_path / "second.json", company_db)
    assert not SyncHost.objects.filter(company=other.company).exists()
    attempt = ForeignDatabaseAttempt.objects.get()
    assert attempt.reporting_company == other.company
    assert attempt.owning_company == admin.company


@pytest.mark.django_db
def test_the_hosts_page_lists_hosts_with_heartbeat_and_databases(
    admin, company_db, tmp_path, client
):
    pair(admin, tmp_path / "synchost.json", company_db)
    client.force_login(admin.user)
    response = client.get(reverse("portal:hosts"))
    host = SyncHost.objects.get()
    assert host.name in response.text
    assert "Online" in response.text
    assert host.databases.get().name in response.text


@pytest.mark.django_db
def test_adding_a_host_shows_a_code_once_with_the_exact_command(admin, client):
    client.force_login(admin.user)
    response = client.post(reverse("portal:host_add"))
    assert response.status_code == 200
    assert "python manage.py synchost run --pair " in response.text
    assert PairingCode.objects.usable().filter(company=admin.company).count() == 1
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_removing_a_host_on_the_page_stops_its_credential(admin, company_db, tmp_path, client):
    credential_file = tmp_path / "synchost.json"
    pair(admin, credential_file, company_db)
    client.force_login(admin.user)
    client.post(reverse("portal:host_remove", args=[SyncHost.objects.get().pk]))
    assert not SyncHost.objects.active().exists()
    with pytest.raises(CommandError, match="not valid any more"):
        run_host(credential_file=credential_file)


@pytest.mark.django_db
def test_a_member_who_is_not_super_user_may_not_manage_hosts(client):
    member = MembershipFactory.create(is_super_user=False)
    client.force_login(member.user)
    assert client.get(reverse("portal:hosts")).status_code == 403
    assert client.post(reverse("portal:host_add")).status_code == 403


@pytest.mark.django_db
def test_another_companys_host_is_a_404(admin, company_db, tmp_path, client):
    other = MembershipFactory.create(is_super_user=True)
    pair(other, tmp_path / "synchost.json", company_db)
    foreign = SyncHost.objects.get()
    client.force_login(admin.user)
    assert foreign.name not in client.get(reverse("portal:hosts")).text
    for name in ("portal:host_refresh", "portal:host_remove"):
        assert client.post(reverse(name, args=[foreign.pk])).status_code == 404
    assert SyncHost.objects.active().filter(pk=foreign.pk).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.smoke
def test_a_running_host_heartbeats_and_answers_check_again_from_its_own_queue(company_db, tmp_path):
    from syncengine.tasks import refresh_host_report

    admin = MembershipFactory.create(is_super_user=True, company=CompanyFactory.create())
    break_database(company_db, "DELETE FROM desktop_sessions;")  # everybody logged off
    credential_file = tmp_path / "synchost.json"
    pair(admin, credential_file, company_db)
    host = SyncHost.objects.get()
    database = host.databases.get()
    assert database.report["sessions"] == []

    env = {**subprocess_environment(), "SYNC_HOST_HEARTBEAT_SECONDS": "600"}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "synchost", "run", "--credential-file", str(credential_file)],
        cwd=BASE_DIR,
        env=env,
        start_new_session=True,
    )
    try:
        # A desktop user logs in; with heartbeats far apart, only "check again" can tell.
        break_database(
            company_db,
            "INSERT INTO desktop_sessions (user_id, host, started_at, last_seen_at) "
            "SELECT id, 'RECEPTIE-PC', strftime('%Y-%m-%dT%H:%M:%SZ','now'), "
            "strftime('%Y-%m-%dT%H:%M:%SZ','now') FROM users LIMIT 1;",
        )
        refresh_host_report.apply_async(args=[host.pk], queue=host.queue, expires=120)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            database.refresh_from_db()
            if database.report["sessions"]:
                break
            time.sleep(0.5)
        assert [s["host"] for s in database.report["sessions"]] == ["RECEPTIE-PC"]
        host.refresh_from_db()
        assert host.is_online()
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=60)


@pytest.mark.django_db
def test_removing_a_host_asks_for_confirmation_first(admin, company_db, tmp_path, client):
    pair(admin, tmp_path / "synchost.json", company_db)
    host = SyncHost.objects.get()
    client.force_login(admin.user)
    page = client.get(reverse("portal:host_remove", args=[host.pk]))
    assert page.status_code == 200
    assert "stops working" in page.text
    assert SyncHost.objects.active().filter(pk=host.pk).exists()


@pytest.mark.django_db
def test_a_database_that_fails_later_is_named_without_its_connection_string(
    admin, company_db, tmp_path, client
):
    credential_file = tmp_path / "synchost.json"
    pair(admin, credential_file, company_db)
    name = SyncHost.objects.get().databases.get().name
    Path(company_db.removeprefix("sqlite:///")).unlink()

    run_host(credential_file=credential_file)

    host = SyncHost.objects.get()
    assert host.report_problems == [{"problem": "unreachable", "database": 1, "name": name}]
    stored = serializers.serialize("json", [host])
    assert str(tmp_path) not in stored
    client.force_login(admin.user)
    page = client.get(reverse("portal:hosts")).text
    assert f"Company database {name} cannot be reached" in page
    assert str(tmp_path) not in page


@pytest.mark.django_db
def test_a_foreign_database_in_a_later_report_is_shown_to_staff_once_per_reporter(
    admin, company_db, tmp_path
):
    pair(admin, tmp_path / "first.json", company_db)
    other = MembershipFactory.create(is_super_user=True)
    other_db = f"sqlite:///{tmp_path / 'other.db'}"
    create_company_database(other_db, contacts=1, seed=3)
    second = tmp_path / "second.json"
    pair(other, second, other_db)
    # The other company's host is later given the first company's database too.
    credentials = HostCredentials.load(second)
    credentials.databases.append(company_db)
    credentials.save(second)

    run_host(credential_file=second)
    run_host(credential_file=second)

    attempt = ForeignDatabaseAttempt.objects.get()
    assert (attempt.reporting_company, attempt.owning_company) == (other.company, admin.company)
    assert attempt.attempts == 2
    host = SyncHost.objects.get(company=other.company)
    assert [problem["problem"] for problem in host.report_problems] == ["foreign"]
    assert list(host.databases.values_list("database_id", flat=True)) == [
        CompanyDatabase.objects.get(company=other.company).database_id
    ]


@pytest.mark.parametrize(
    ("dsn", "local"),
    [
        ("sqlite:////srv/company.db", True),
        ("postgresql://sync@localhost/companydb", True),
        ("postgresql://sync@127.0.0.1:5432/companydb", True),
        ("postgresql://sync@db-server.kantoor.lan/companydb", False),
    ],
)
def test_a_host_knows_whether_a_database_is_on_its_own_computer(dsn, local):
    from syncengine.companydb.dsn import parse_dsn

    assert parse_dsn(dsn).is_local is local


@pytest.mark.django_db
def test_the_host_on_the_databases_own_computer_is_recorded_as_such(admin, company_db, tmp_path):
    pair(admin, tmp_path / "synchost.json", company_db)

    reached = HostDatabase.objects.get()

    assert reached.is_local  # a SQLite file is on the host's own disk
    assert "reached_locally" not in reached.database.report


@pytest.mark.django_db
def test_a_restored_backup_pauses_the_sync_until_it_is_reconnected(admin, company_db, tmp_path):
    import uuid

    from syncengine.models import SyncLink

    credential_file = tmp_path / "synchost.json"
    pair(admin, credential_file, company_db)
    host = SyncHost.objects.get()
    link = SyncLink.objects.create(
        company=admin.company, database=host.databases.get(), host=host, connected_by=admin.user
    )
    link.set_state(SyncLink.State.CONNECTED)
    run_host(credential_file=credential_file)
    assert SyncLink.objects.get().state == SyncLink.State.CONNECTED  # same database, same id

    # Restoring a backup gives the database a new identity (DESIGN.md).
    with sqlite3.connect(company_db.removeprefix("sqlite:///")) as connection:
        connection.execute("UPDATE company_settings SET database_id = ?", [str(uuid.uuid4())])
    HostDatabase.objects.update(last_reported_at=timezone.now() - timedelta(minutes=10))
    run_host(credential_file=credential_file)

    link = SyncLink.objects.get()
    assert link.state == SyncLink.State.NEEDS_RECONNECT
    assert "restored from a backup" in link.reason
    assert CompanyDatabase.objects.count() == 2
