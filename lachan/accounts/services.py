"""Writes on users and tokens (used by the UI, the API and the CLI)."""

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from rest_framework.authtoken.models import Token

from .models import User


@transaction.atomic
def user_create(*, username, password, unit=None, role, email="", first_name="", last_name="", phone="",
                is_active=True, validate=True):
    user = User(username=username, unit=unit, role=role, email=email, first_name=first_name, last_name=last_name,
                phone=phone, is_active=is_active)
    if validate:
        validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def token_create(*, user):
    """A new API key for ``user`` (an existing one is replaced)."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)
