"""``lachan monitor check URL`` against real loopback servers (``servers.ServerThread``): the JSON contract,
the readable output, ``--baseline`` in both forms, the outbound guard and the exit codes.

No test here uses the database: pytest-django would refuse it, so these runs also show that the command
never touches it."""

import io
import json
import sys
from contextlib import redirect_stderr, redirect_stdout

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from lachan.monitoring.analysis import extract_features
from lachan.monitoring.management.commands.monitor import Command
from lachan.monitoring.tests import servers

REQUIRED = {"url", "final_url", "http_status", "latency_ms", "tls_days_left", "verdict", "findings"}
ALLOWED = REQUIRED | {"checked_at", "error"}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(scope="module")
def farm():
    sites = {"clean": servers.clean_site(), "injected": servers.injected_site(),
             "defaced": servers.defaced_site("marker"), "down": servers.error_site(503)}
    with servers.ServerThread() as thread:
        yield {name: thread.start(site.app()) + "/" for name, site in sites.items()}


def run(*args):
    """(exit code, stdout) of ``lachan monitor check …`` run in-process."""
    out = io.StringIO()
    try:
        call_command("monitor", "check", *map(str, args), "--sitemap-sample", "0", "--timeout", "3", stdout=out)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue()


def test_json_contract_on_an_injected_site(farm):
    code, out = run(farm["injected"], "--json", "--allow-private")
    assert code == 2
    data = json.loads(out)  # exactly one JSON object
    assert REQUIRED <= set(data) <= ALLOWED
    assert data["url"] == farm["injected"] and data["final_url"] == farm["injected"]
    assert data["http_status"] == 200 and data["tls_days_left"] is None and data["verdict"] == "compromised"
    assert isinstance(data["latency_ms"], int)
    kinds = {f["kind"] for f in data["findings"]}
    assert {"gambling_injection", "hidden_links"} <= kinds
    for finding in data["findings"]:
        assert {"kind", "severity", "evidence"} <= set(finding) <= {"kind", "severity", "evidence", "summary", "url",
                                                                     "signal"}
    assert "nhà cái uy tín" in out  # ensure_ascii=False: the evidence is plain text, not escaped


def test_clean_site_exits_0_with_readable_lines(farm):
    code, out = run(farm["clean"], "--allow-private")
    assert code == 0
    assert "Verdict: OK" in out and "HTTP status: 200" in out and "No findings." in out
    assert "(Asia/Ho_Chi_Minh)" in out


def test_down_site_exits_3(farm):
    code, out = run(farm["down"], "--json", "--allow-private")
    assert code == 3
    data = json.loads(out)
    assert data["verdict"] == "down" and data["http_status"] == 503
    assert data["error"] == {"kind": "http_503", "message": "HTTP 503"}
    assert data["findings"][0]["kind"] == "down"


def test_baseline_as_saved_html_or_features_json(farm, tmp_path):
    html = tmp_path / "home.html"
    html.write_text(servers.CLEAN_HOME, encoding="utf-8")
    features = tmp_path / "home.json"
    features.write_text(json.dumps(extract_features(servers.CLEAN_HOME, farm["defaced"]).to_dict(),
                                   ensure_ascii=False), encoding="utf-8")
    for baseline in (html, features):
        code, out = run(farm["defaced"], "--json", "--allow-private", "--baseline", baseline)
        assert code == 2
        signals = {f["signal"] for f in json.loads(out)["findings"]}
        assert {"defacement_confirmed", "title_changed"} <= signals  # title_changed needs the baseline
    code, out = run(farm["defaced"], "--json", "--allow-private")
    assert "title_changed" not in {f["signal"] for f in json.loads(out)["findings"]}


def test_readable_output_of_findings(farm):
    code, out = run(farm["defaced"], "--allow-private")
    assert code == 2
    assert "Verdict: COMPROMISED" in out
    assert "[Critical] Defacement — The page carries defacement markers: hacked by" in out
    assert "markers: hacked by" in out


@pytest.mark.parametrize("content, error", [
    ('{"url": "http://x/",\n "text_sketch": [1, 2,]}', "line 2"),
    ('{"title": "no url"}', "url and text_sketch"),
])
def test_bad_baseline_file_is_refused(farm, tmp_path, content, error):
    path = tmp_path / "baseline.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        run(farm["clean"], "--allow-private", "--baseline", path)
    assert error in str(raised.value) and str(path) in str(raised.value)
    assert raised.value.returncode == 4


def test_missing_baseline_file(farm, tmp_path):
    with pytest.raises(CommandError, match="Cannot read") as raised:
        run(farm["clean"], "--allow-private", "--baseline", tmp_path / "none.html")
    assert raised.value.returncode == 4


def test_loopback_is_refused_without_allow_private(farm):
    with pytest.raises(CommandError) as raised:
        run(farm["clean"], "--json")
    assert "loopback address" in str(raised.value) and "--allow-private" in str(raised.value)
    assert raised.value.returncode == 4


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[::ffff:169.254.169.254]/"])
def test_cloud_metadata_is_refused_even_with_allow_private(url):
    with pytest.raises(CommandError) as raised:
        run(url, "--json", "--allow-private")
    assert "cloud metadata address" in str(raised.value)
    assert raised.value.returncode == 4


def shell(*args):
    """(exit code, stdout, stderr) of ``lachan monitor check …`` as the console runs it (``run_from_argv``:
    argparse errors and CommandError become exit codes)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err), pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["lachan", "monitor", "check", *map(str, args)])
    return exited.value.code, out.getvalue(), err.getvalue()


def test_exit_codes_from_the_command_line(farm):
    code, out, _err = shell(farm["down"], "--json", "--allow-private", "--sitemap-sample", "0")
    assert code == 3 and json.loads(out)["verdict"] == "down"
    code, out, err = shell(farm["clean"])
    assert code == 4 and out == "" and "loopback address" in err and "--allow-private" in err
    code, out, err = shell("--no-such-option")
    assert code == 4 and "arguments are required: URL" in err  # not 2, which means "compromised"


# --- lachan monitor [run] ------------------------------------------------------------------------------------

@pytest.fixture
def engine_calls(monkeypatch):
    """Records the calls of ``lachan.monitoring.engine.run`` (the engine is another module's job: only the
    dispatch of ``lachan monitor`` is tested here)."""
    import types

    import lachan.monitoring

    calls = []
    engine = types.ModuleType("lachan.monitoring.engine")
    engine.run = lambda **options: calls.append(options)
    monkeypatch.setitem(sys.modules, "lachan.monitoring.engine", engine)
    monkeypatch.setattr(lachan.monitoring, "engine", engine, raising=False)
    return calls


def test_monitor_without_subcommand_runs_the_engine(engine_calls):
    call_command("monitor")
    call_command("monitor", "run", "--concurrency", "50", "--per-host", "2", "--once", "--name", "mon-1")
    assert engine_calls == [
        {"concurrency": None, "per_host": None, "once": False, "name": None},
        {"concurrency": 50, "per_host": 2, "once": True, "name": "mon-1"},
    ]
