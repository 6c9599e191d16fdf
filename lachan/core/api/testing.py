"""Test helpers for the API (used by the apps' ``tests/test_api.py``)."""

from rest_framework.test import APIClient

from lachan.accounts.services import token_create


def api_client_for(user):
    """An API client authenticated the way scripts are: ``Authorization: Token <key>``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_create(user=user).key}")
    return client


def ids(response):
    return {row["id"] for row in response.json()["results"]}
