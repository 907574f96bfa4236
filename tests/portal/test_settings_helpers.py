import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_int, env_list, env_str, env_url


@pytest.mark.parametrize("value", ["maybe", "2", "ja"])
def test_a_boolean_that_is_not_one_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("SOME_FLAG", value)
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env_bool("SOME_FLAG", False)


@pytest.mark.parametrize(
    ("value", "expected"), [("1", True), ("TRUE", True), ("off", False), ("", True)]
)
def test_booleans_are_read_in_their_usual_spellings(monkeypatch, value, expected):
    monkeypatch.setenv("SOME_FLAG", value)
    assert env_bool("SOME_FLAG", True) is expected


def test_a_number_that_is_not_whole_names_the_variable(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", "12.5")
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER must be a whole number"):
        env_int("SOME_NUMBER", 1)


def test_a_number_below_its_minimum_is_refused(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", "-3")
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER must be at least 0"):
        env_int("SOME_NUMBER", 1, minimum=0)


def test_a_list_with_an_empty_item_is_refused(monkeypatch):
    monkeypatch.setenv("SOME_HOSTS", "example.com,,example.org")
    with pytest.raises(ImproperlyConfigured, match="SOME_HOSTS"):
        env_list("SOME_HOSTS", [])


def test_a_list_is_split_on_commas(monkeypatch):
    monkeypatch.setenv("SOME_HOSTS", "example.com, example.org")
    assert env_list("SOME_HOSTS", []) == ["example.com", "example.org"]


def test_a_url_of_the_wrong_scheme_is_refused_without_echoing_it(monkeypatch):
    monkeypatch.setenv("SOME_URL", "mysql://admin:hunter2@db/prod")
    with pytest.raises(ImproperlyConfigured) as refused:
        env_url("SOME_URL", None, schemes=("postgres",))
    assert "SOME_URL" in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_a_secret_may_come_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.delenv("SOME_SECRET", raising=False)
    monkeypatch.setenv("SOME_SECRET_FILE", str(secret))
    assert env_str("SOME_SECRET") == "from-a-file"


def test_a_secret_file_that_cannot_be_read_names_the_variable(monkeypatch, tmp_path):
    monkeypatch.delenv("SOME_SECRET", raising=False)
    monkeypatch.setenv("SOME_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="SOME_SECRET_FILE"):
        env_str("SOME_SECRET")


def test_a_secret_set_twice_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("SOME_SECRET", "a")
    monkeypatch.setenv("SOME_SECRET_FILE", str(tmp_path / "b"))
    with pytest.raises(ImproperlyConfigured, match="either SOME_SECRET or SOME_SECRET_FILE"):
        env_str("SOME_SECRET")
