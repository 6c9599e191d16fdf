from django.core.management.base import BaseCommand, CommandError

from lachan.accounts.models import User
from lachan.accounts.services import token_create


class Command(BaseCommand):
    help = "API tokens: token create USERNAME prints a new key (replacing the old one)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create (or replace) the API token of a user and print it")
        create.add_argument("username")

    def handle(self, *args, action, username, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Không có người dùng {username!r} (unknown user)")
        self.stdout.write(token_create(user=user).key)
