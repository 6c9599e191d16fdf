"""The ``lachan`` console command: our management commands plus everything manage.py offers.

    lachan serve | worker | scheduler | units import FILE | inventory import FILE
    lachan user create --username U --unit CODE --role ROLE | token create U | migrate | …
"""

import os
import sys


def main(argv=None):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lachan.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["lachan", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
