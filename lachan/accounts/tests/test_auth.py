"""Authentication hardening: login/logout, TOTP second factor, login throttling (django-axes), password
policy, role limits of unit administrators, no open redirect."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from lachan.accounts.choices import Role
from lachan.accounts.models import User
from lachan.testing.factories import UserFactory

PASSWORD = "Mat-khau-thu-nghiem-1"  # the factories' password


@pytest.fixture(autouse=True)
def _english(settings):
    """English source strings in assertions."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def two_factor_for_coordinators(settings):
    settings.TWO_FACTOR_REQUIRED_ROLES = ["coordinator"]


def _code(device):
    """The current TOTP code of ``device``, computed from its key like an authenticator app does."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def _login(client, username, password=PASSWORD, next_url=None):
    url = reverse("accounts:login") + (f"?next={next_url}" if next_url else "")
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(url, data)


# --- login, logout, redirects -----------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_is_styled_and_login_works(client, users):
    page = client.get(reverse("accounts:login")).content.decode()
    assert 'class="form-control' in page and 'autocomplete="current-password"' in page
    response = _login(client, "member_a")
    assert response.status_code == 302 and response["Location"] == reverse("core:dashboard")
    assert client.get(reverse("core:dashboard")).status_code == 200


@pytest.mark.django_db
def test_wrong_password_is_refused(client, users):
    response = _login(client, "member_a", "sai-mat-khau")
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert "alert-danger" in response.content.decode()


@pytest.mark.django_db
def test_login_next_stays_on_site(client, users):
    response = _login(client, "member_a", next_url="/inventory/systems/")
    assert response["Location"] == "/inventory/systems/"
    client.logout()
    for evil in ("https://evil.example/phish", "//evil.example/", "https:/evil.example", "\\\\evil.example"):
        response = _login(client, "member_a", next_url=evil)
        assert response.status_code == 302
        assert "evil" not in response["Location"], evil
        client.logout()


@pytest.mark.django_db
def test_two_factor_next_stays_on_site(client, users, two_factor_for_coordinators):
    client.force_login(users["coordinator"])
    client.get(reverse("accounts:two_factor"))
    device = TOTPDevice.objects.get(user=users["coordinator"])
    response = client.post(reverse("accounts:two_factor") + "?next=https://evil.example/", {"token": _code(device)})
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.django_db
def test_logout_needs_post_and_ends_the_session(client, users):
    client.force_login(users["member_a"])
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_authenticated_pages_are_private_and_vary_on_htmx(client, users):
    client.force_login(users["member_a"])
    response = client.get(reverse("inventory:informationsystem_list"))
    assert "private" in response["Cache-Control"]
    assert "HX-Request" in response["Vary"]


# --- two-factor -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_coordinator_without_2fa_is_sent_to_setup_then_verifies_with_a_real_code(client, users, two_factor_for_coordinators):
    coordinator = users["coordinator"]
    _login(client, "coord")
    response = client.get(reverse("inventory:informationsystem_list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:two_factor") + "?next=%2Finventory%2Fsystems%2F"

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in html  # QR code, no |safe markup
    device = TOTPDevice.objects.get(user=coordinator)
    assert not device.confirmed
    assert page.context["secret"].replace(" ", "") == __import__("base64").b32encode(device.bin_key).decode().rstrip("=")

    # Other pages and the API stay closed until the code is entered.
    assert client.get(reverse("core:dashboard")).status_code == 302
    assert client.get("/api/").status_code == 403

    response = client.post(reverse("accounts:two_factor") + "?next=/inventory/systems/", {"token": _code(device)})
    assert response.status_code == 302 and response["Location"] == "/inventory/systems/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("inventory:informationsystem_list")).status_code == 200
    account = client.get(reverse("accounts:account")).content.decode()
    assert 'id="two-factor-status"><span class="badge text-bg-success">On' in account


@pytest.mark.django_db
def test_wrong_code_is_refused(client, users, two_factor_for_coordinators):
    client.force_login(users["coordinator"])
    client.get(reverse("accounts:two_factor"))
    device = TOTPDevice.objects.get(user=users["coordinator"])
    wrong = f"{(int(_code(device)) + 1) % 1000000:06d}"
    response = client.post(reverse("accounts:two_factor"), {"token": wrong})
    assert response.status_code == 200
    assert "Wrong or expired code." in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(reverse("core:dashboard")).status_code == 302
    # Letters are refused too.
    assert client.post(reverse("accounts:two_factor"), {"token": "abcdef"}).status_code == 200


@pytest.mark.django_db
def test_confirmed_device_is_asked_at_each_login_and_a_code_is_not_replayable(client, users):
    member = users["member_a"]  # not required by role: a user who turned 2FA on is asked too
    device = TOTPDevice.objects.create(user=member, name="default", confirmed=True)
    _login(client, "member_a")
    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:two_factor"))
    page = client.get(response["Location"])
    assert "qr_data_uri" not in page.context  # verification, not setup
    code = _code(device)
    assert client.post(reverse("accounts:two_factor"), {"token": code}).status_code == 302
    assert client.get(reverse("core:dashboard")).status_code == 200

    client.post(reverse("accounts:logout"))
    _login(client, "member_a")
    response = client.post(reverse("accounts:two_factor"), {"token": code})
    assert response.status_code == 200  # the same code twice is refused (replay)
    assert client.get(reverse("core:dashboard")).status_code == 302


# --- login throttling --------------------------------------------------------------------------


@pytest.mark.django_db
def test_axes_locks_out_after_the_failure_limit(client, users, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    for _attempt in range(3):
        response = _login(client, "member_a", "sai-mat-khau")
    # the limit is reached: even the right password is refused, with the lockout page
    response = _login(client, "member_a")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many failed login attempts" in html
    assert SESSION_KEY not in client.session
    # another user from the same address is not locked (username + address)
    assert _login(client, "member_b").status_code == 302


@pytest.mark.django_db
def test_axes_counts_below_the_limit_and_resets_on_success(client, users, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    _login(client, "member_a", "sai-mat-khau")
    _login(client, "member_a", "sai-mat-khau")
    assert _login(client, "member_a").status_code == 302


# --- passwords and the user form ---------------------------------------------------------------


def _user_data(**overrides):
    return {"username": "nguoidung.moi", "first_name": "Người", "last_name": "Mới", "email": "moi@example.vn",
            "phone": "", "role": Role.UNIT_MEMBER, "is_active": "on"} | overrides


@pytest.mark.django_db
@pytest.mark.parametrize("weak", ["12345678901", "password123", "nguoidung.moi", "Ab1-xyz"])
def test_weak_password_is_refused_by_the_user_form(client_for, users, tree, weak):
    client = client_for(users["coordinator"])
    response = client.post(reverse("accounts:user_add"), _user_data(unit=tree["a"].pk, password=weak))
    assert response.status_code == 200
    assert response.context["form"].errors.get("password")
    assert not User.objects.filter(username="nguoidung.moi").exists()


@pytest.mark.django_db
def test_strong_password_creates_the_user(client_for, users, tree):
    client = client_for(users["coordinator"])
    response = client.post(reverse("accounts:user_add"), _user_data(unit=tree["a"].pk, password="Tram-giam-sat-24/7"))
    assert response.status_code == 302, response.context["form"].errors
    user = User.objects.get(username="nguoidung.moi")
    assert user.check_password("Tram-giam-sat-24/7") and user.unit == tree["a"]


@pytest.mark.django_db
def test_unit_admin_cannot_create_a_coordinator(client_for, users, tree):
    client = client_for(users["admin_a"])
    form_html = client.get(reverse("accounts:user_add")).content.decode()
    assert 'value="coordinator"' not in form_html and 'value="auditor"' not in form_html
    for role in (Role.COORDINATOR, Role.AUDITOR):
        response = client.post(reverse("accounts:user_add"),
                               _user_data(unit=tree["a"].pk, role=role, password="Tram-giam-sat-24/7"))
        assert response.status_code == 200
        assert "role" in response.context["form"].errors
    assert not User.objects.filter(username="nguoidung.moi").exists()
    # nor a user of another unit
    response = client.post(reverse("accounts:user_add"), _user_data(unit=tree["b"].pk, password="Tram-giam-sat-24/7"))
    assert "unit" in response.context["form"].errors
    # a unit member is created fine
    response = client.post(reverse("accounts:user_add"), _user_data(unit=tree["a1"].pk, password="Tram-giam-sat-24/7"))
    assert response.status_code == 302


@pytest.mark.django_db
def test_unit_admin_cannot_touch_a_coordinator_of_their_unit(client_for, users, tree):
    boss = UserFactory(username="boss", role=Role.COORDINATOR, unit=tree["a"])
    client = client_for(users["admin_a"])
    assert client.get(reverse("accounts:user_detail", args=[boss.pk])).status_code == 200  # in scope: readable
    assert client.get(reverse("accounts:user_edit", args=[boss.pk])).status_code == 404
    response = client.post(reverse("accounts:user_edit", args=[boss.pk]),
                           _user_data(username="boss", unit=tree["a"].pk, role=Role.UNIT_MEMBER, password="Chiem-quyen-2025!"))
    assert response.status_code == 404
    assert client.post(reverse("accounts:user_delete", args=[boss.pk])).status_code == 404
    boss.refresh_from_db()
    assert boss.role == Role.COORDINATOR and boss.check_password(PASSWORD)
    detail = client.get(reverse("accounts:user_detail", args=[boss.pk])).content.decode()
    assert reverse("accounts:user_edit", args=[boss.pk]) not in detail


@pytest.mark.django_db
def test_user_detail_never_shows_the_password_hash(client_for, users):
    html = client_for(users["coordinator"]).get(reverse("accounts:user_detail", args=[users["member_a"].pk])).content.decode()
    assert users["member_a"].password not in html
    assert "md5$" not in html and "pbkdf2" not in html


@pytest.mark.django_db
def test_password_change(client, users):
    _login(client, "member_a")
    url = reverse("accounts:password_change")
    response = client.post(url, {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200 and response.context["form"].errors.get("new_password2")
    response = client.post(url, {"old_password": PASSWORD, "new_password1": "Doi-mat-khau-2025", "new_password2": "Doi-mat-khau-2025"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:account")
    assert client.get(reverse("accounts:account")).status_code == 200  # session kept
    users["member_a"].refresh_from_db()
    assert users["member_a"].check_password("Doi-mat-khau-2025")


@pytest.mark.django_db
def test_my_account_shows_unit_role_and_2fa_status(client_for, users, tree):
    html = client_for(users["admin_a"]).get(reverse("accounts:account")).content.decode()
    assert tree["a"].name in html
    assert "Unit administrator" in html
    assert 'id="two-factor-status"><span class="badge text-bg-secondary">Off' in html
    assert reverse("accounts:two_factor") in html
