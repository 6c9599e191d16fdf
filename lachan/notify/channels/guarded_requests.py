"""Apprise's HTTP calls routed through the outbound guard.

Apprise has no session or transport hook: each plugin module does ``import requests`` and calls
``requests.post(...)`` itself. ``install(module)`` replaces that module's ``requests`` name with
``GUARDED``, an object that behaves like the ``requests`` module (its exceptions, ``codes`` …) except that
``get/post/put/patch/delete/head/request`` prepare the request with requests (body, form, JSON, multipart,
query string, auth header) and send it with ``lachan.core.outbound.fetch_sync`` — the address checked at
resolution and connect time, OUTBOUND_ALLOWLIST honoured, redirects re-checked. A refusal or network
failure is raised as ``requests.ConnectionError`` carrying the guard's reason, which the plugins catch.
``requests.Session`` is refused (no plugin we install uses it), so nothing slips past the guard.

Only the plugin modules listed in ``channels.apprise_url.GUARDED_PLUGINS`` and Telegram are installed, and
only those may be used: an Apprise URL of any other service is refused before Apprise is called.
"""

import requests
from requests.structures import CaseInsensitiveDict

from lachan.core.outbound import FetchError, fetch_sync


def _timeouts(timeout):
    if isinstance(timeout, tuple):
        connect, read = timeout
    else:
        connect = read = timeout
    connect = float(connect or 10)
    read = float(read or 15)
    return connect, read


def _response(result, method, url):
    response = requests.Response()
    response.status_code = result.status
    response._content = result.body
    response.headers = CaseInsensitiveDict(result.headers)
    response.url = result.final_url
    response.encoding = result.charset
    response.request = requests.Request(method, url).prepare()
    return response


class GuardedRequests:
    """Stands in for the ``requests`` module inside an Apprise plugin module."""

    def __getattr__(self, name):
        return getattr(requests, name)

    @property
    def Session(self):  # noqa: N802 — the requests name
        raise requests.RequestException("requests.Session is not available behind the outbound guard")

    def request(self, method, url, *, params=None, data=None, json=None, headers=None, files=None, auth=None,
                timeout=None, allow_redirects=True, verify=True, **_ignored):
        prepared = requests.Request(method.upper(), url, params=params, data=data, json=json, headers=headers,
                                    files=files, auth=auth).prepare()
        body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
        connect, read = _timeouts(timeout)
        try:
            result = fetch_sync(prepared.url, method=prepared.method, headers=dict(prepared.headers), data=body,
                                max_redirects=5 if allow_redirects else 0, timeout=connect + read,
                                connect_timeout=connect, read_timeout=read, ssl=None if verify else False,
                                max_bytes=1024 * 1024)
        except FetchError as exc:
            raise requests.ConnectionError(f"{exc.kind}: {exc.message}") from exc
        return _response(result, prepared.method, prepared.url)

    def get(self, url, **kwargs):
        return self.request("GET", url, **kwargs)

    def post(self, url, **kwargs):
        return self.request("POST", url, **kwargs)

    def put(self, url, **kwargs):
        return self.request("PUT", url, **kwargs)

    def patch(self, url, **kwargs):
        return self.request("PATCH", url, **kwargs)

    def delete(self, url, **kwargs):
        return self.request("DELETE", url, **kwargs)

    def head(self, url, **kwargs):
        return self.request("HEAD", url, **kwargs)


GUARDED = GuardedRequests()


def install(module):
    """Route ``module``'s ``requests`` calls through the guard (idempotent)."""
    if getattr(module, "requests", None) is not GUARDED:
        if getattr(module, "requests", None) is not requests:
            raise RuntimeError(f"{module.__name__} does not use the requests module: cannot guard it")
        module.requests = GUARDED
    return module
