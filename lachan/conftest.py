import pytest

from lachan.accounts.choices import Role
from lachan.testing.factories import UnitFactory, UserFactory


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path):
    settings.AXES_ENABLED = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # API throttling counts in the cache; tests make many requests quickly from one client.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    settings.TWO_FACTOR_REQUIRED_ROLES = []
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"  # uploads, evidence, the demo's letters: never in the checkout


@pytest.fixture
def tree(db):
    """root (Sở TTTT) → A → A1, and root → B."""
    root = UnitFactory(code="ROOT", name="Sở Thông tin và Truyền thông", kind="department")
    a = UnitFactory(code="A", name="Đơn vị A", parent=root)
    a1 = UnitFactory(code="A1", name="Đơn vị A1", parent=a)
    b = UnitFactory(code="B", name="Đơn vị B", parent=root)
    return {"root": root, "a": a, "a1": a1, "b": b}


@pytest.fixture
def users(tree):
    return {
        "coordinator": UserFactory(username="coord", role=Role.COORDINATOR, unit=tree["root"]),
        "auditor": UserFactory(username="auditor", role=Role.AUDITOR, unit=tree["root"]),
        "admin_a": UserFactory(username="admin_a", role=Role.UNIT_ADMIN, unit=tree["a"]),
        "member_a": UserFactory(username="member_a", role=Role.UNIT_MEMBER, unit=tree["a"]),
        "operator_a": UserFactory(username="operator_a", role=Role.OPERATOR, unit=tree["a"]),
        "member_b": UserFactory(username="member_b", role=Role.UNIT_MEMBER, unit=tree["b"]),
    }


@pytest.fixture
def client_for(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login
