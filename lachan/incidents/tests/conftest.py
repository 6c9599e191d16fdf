import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in their English source form (the UI default is Vietnamese)."""
    with translation.override("en"):
        yield


@pytest.fixture
def en_client_for(client_for, settings):
    """``client_for`` with the English interface chosen (the language cookie), to read messages in English."""

    def _login(user):
        client = client_for(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return _login
