"""Advisory feeds fetched on a schedule (``settings.VULNS_ADVISORY_FEEDS``) where the network allows.

Each URL goes through the outbound guard (``core.outbound.fetch_sync``: private and metadata addresses
refused unless allowlisted, every redirect re-checked, body capped at ``VULNS_FEED_MAX_BYTES`` and refused
above it rather than cut), lands in a temporary file and is imported by ``services.advisories_import``
exactly like an uploaded file: the same content twice changes nothing, a file that cannot be read leaves a
failed ``AdvisoryImport`` naming the error. A fetch that fails is recorded as a failed ``AdvisoryImport``
too (file name = the URL, error = the guard's or the network's reason), so coordinators see it in the list.
"""

import logging
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from lachan.core.files import file_digest
from lachan.core.outbound import FetchError, fetch_sync

from .advisories import AdvisoryParseError
from .choices import ImportStatus
from .models import AdvisoryImport

logger = logging.getLogger("lachan.vulns")


def _file_name(url):
    name = Path(urlsplit(url).path).name
    return name or urlsplit(url).hostname or "feed"


def fetch_feed(url, *, allowlist=None):
    """Fetch one feed URL and import it. Returns the ``AdvisoryImport`` (failed when the fetch failed)."""
    from .services import advisories_import

    try:
        result = fetch_sync(url, allowlist=allowlist, max_bytes=settings.VULNS_FEED_MAX_BYTES, truncate=False,
                            timeout=600.0, read_timeout=60.0)
        if result.status != 200:
            raise FetchError("http", _("the server answered HTTP %(status)d") % {"status": result.status}, url=url)
    except FetchError as exc:
        logger.warning("advisory feed %s not fetched: %s", url, exc)
        now = timezone.now()
        return AdvisoryImport.objects.create(
            file_name=url[:300], sha256="", status=ImportStatus.FAILED, errors=1, started=now, finished=now,
            error=_("The feed could not be fetched (%(kind)s): %(reason)s") % {"kind": exc.kind, "reason": exc.message})
    with tempfile.TemporaryDirectory(prefix="lachan-feed-") as directory:
        path = Path(directory) / _file_name(result.final_url)
        path.write_bytes(result.body)
        try:
            record = advisories_import(path)
        except AdvisoryParseError as exc:  # recorded by advisories_import as a failed import
            logger.warning("advisory feed %s could not be read: %s", url, exc)
            sha256, _size = file_digest(path)
            record = AdvisoryImport.objects.filter(sha256=sha256, status=ImportStatus.FAILED).latest("started")
    if not getattr(record, "duplicate", False):  # the list shows where the file came from
        AdvisoryImport.objects.filter(pk=record.pk).update(file_name=url[:300])
        record.file_name = url[:300]
    return record


def fetch_all(urls=None, *, allowlist=None):
    """Every configured feed; one failing never stops the others. Returns ``{url: status}``."""
    outcome = {}
    for url in urls if urls is not None else settings.VULNS_ADVISORY_FEEDS:
        record = fetch_feed(url, allowlist=allowlist)
        outcome[url] = "duplicate" if getattr(record, "duplicate", False) else record.status
    return outcome
