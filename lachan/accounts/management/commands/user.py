import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from lachan.accounts.choices import Role
from lachan.accounts.services import user_create
from lachan.core.audit import acting_as
from lachan.organizations.models import Unit


class Command(BaseCommand):
    help = "Manage users: user create --username U --unit CODE --role ROLE (password from LACHAN_PASSWORD or a prompt)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a user")
        create.add_argument("--username", required=True)
        create.add_argument("--unit", help="Unit code (required except for coordinators and auditors)")
        create.add_argument("--role", required=True, choices=[r.value for r in Role])
        create.add_argument("--email", default="")
        create.add_argument("--name", default="", help="Full name")

    def handle(self, *args, action, **options):
        if action == "create":
            self.create(**options)

    def create(self, *, username, unit, role, email, name, **_):
        unit_obj = None
        if unit:
            unit_obj = Unit.objects.filter(code=unit).first()
            if unit_obj is None:
                raise CommandError(f"Không có đơn vị mã {unit!r} (unknown unit code)")
        elif role not in (Role.COORDINATOR, Role.AUDITOR):
            raise CommandError("--unit là bắt buộc với vai trò này (--unit is required for this role)")
        password = os.environ.get("LACHAN_PASSWORD")
        if not password:
            password = getpass.getpass("Mật khẩu / Password: ")
            if password != getpass.getpass("Nhập lại / Again: "):
                raise CommandError("Hai mật khẩu không khớp (passwords differ)")
        first, _, last = name.rpartition(" ")
        try:
            with acting_as(None):
                user = user_create(username=username, password=password, unit=unit_obj, role=role, email=email,
                                   first_name=first, last_name=last)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(f"Đã tạo người dùng {user.username} ({user.get_role_display()})")
