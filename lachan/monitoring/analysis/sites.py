"""Which host names belong together, without the Public Suffix List: a "site" is the last two labels of a
host, three under a two-letter country code with a generic second level (``sotttt.hanoi.gov.vn`` →
``hanoi.gov.vn``, ``www.example.com.vn`` → ``example.com.vn``). Good enough to tell a page's own
sub-domains from other sites; it treats ``*.github.io``-style shared hosts as one site."""

import ipaddress
from functools import lru_cache

_GENERIC_SLD = frozenset({"gov", "edu", "com", "net", "org", "ac", "info", "name", "co", "biz", "int", "pro",
                          "health", "mil", "or", "ne", "go", "nic"})
# Links to these are ordinary on any public page; their appearance is not "unrelated outbound links".
COMMON_SITES = frozenset({
    "facebook.com", "fb.com", "youtube.com", "youtu.be", "zalo.me", "google.com", "google.com.vn", "gstatic.com",
    "googleapis.com", "twitter.com", "x.com", "instagram.com", "tiktok.com", "linkedin.com", "apple.com",
    "microsoft.com", "w3.org", "wordpress.org", "jquery.com", "cloudflare.com", "jsdelivr.net", "unpkg.com",
    "googletagmanager.com", "google-analytics.com", "bootstrapcdn.com", "fontawesome.com", "chinhphu.vn",
    "baochinhphu.vn", "vietnamplus.vn", "vnexpress.net", "vtv.vn", "dichvucong.gov.vn", "gov.vn", "edu.vn",
})
PUBLIC_SECTOR_SUFFIXES = (".gov.vn", ".edu.vn", ".org.vn", ".ac.vn")


@lru_cache(maxsize=16384)  # pure, and called for every link of every page
def site_of(host):
    host = (host or "").lower().rstrip(".")
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host
    except ValueError:
        pass
    labels = host.split(".")
    if len(labels) >= 3 and labels[-2] in _GENERIC_SLD and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def is_external(host, page_host):
    return bool(host) and site_of(host) != site_of(page_host)


def is_unrelated(host, page_host):
    """An external host that is neither a common platform nor a public-sector site."""
    if not is_external(host, page_host):
        return False
    site = site_of(host)
    return site not in COMMON_SITES and not ("." + site).endswith(PUBLIC_SECTOR_SUFFIXES)
