import pytest

from tests.factories import CategoryFactory, CommunityFactory, ResidentFactory, StreetFactory


@pytest.fixture
def street():
    return StreetFactory(latitude=29.65, longitude=106.55)


@pytest.fixture
def community(street):
    return CommunityFactory(street=street, name="金山社区", latitude=29.65, longitude=106.55)


@pytest.fixture
def resident(community):
    return ResidentFactory(profile__community=community, email="li@example.org")


@pytest.fixture
def sports():
    return CategoryFactory(name="体育健身", name_en="Sports")


@pytest.fixture
def taiji(sports):
    return CategoryFactory(name="太极拳", name_en="Tai chi", parent=sports)


@pytest.fixture
def resident_client(client, resident):
    client.force_login(resident)
    return client


@pytest.fixture(autouse=True)
def _english(client, settings):
    """Pages in English so assertions read the source strings; Chinese stays the portal's default."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
