import pytest

from tests.factories import UserFactory
from tests.urlwalk import routes

# Routes with no argument: each is a page someone can open. (Routes taking an id are walked by
# the isolation tests of the areas that own them.)
PAGES = sorted({route.path() for route in routes() if not route.arguments})


def script_sources(response) -> list[str]:
    policy = response.headers["Content-Security-Policy"]
    directives = dict(
        [*part.strip().split(" ", 1), ""][:2] for part in policy.split(";") if part.strip()
    )
    return directives["script-src"].split()


def test_the_walk_finds_the_pages_people_use():
    assert {"/", "/accounts/login/", "/accounts/signup/", "/admin/"} <= set(PAGES)


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_a_policy_without_inline_scripts(client, path):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(path)
    sources = script_sources(response)
    assert "'self'" in sources
    assert "'unsafe-inline'" not in sources
    assert "'unsafe-eval'" not in sources


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_the_policy_to_visitors_too(client, path):
    response = client.get(path)
    assert "'unsafe-inline'" not in script_sources(response)
