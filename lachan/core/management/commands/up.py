"""`lachan up`: the whole platform in one foreground process (web, worker, scheduler, monitor).

A small process manager: every process is a `lachan …` child in its own process group, its output
prefixed with its name. SIGINT/SIGTERM are forwarded (once) as SIGTERM; a second one kills. When
one child dies, the others are stopped and `lachan up` exits with the child's code — let systemd
or the shell restart the whole, as a unit. For real deployments run the processes as separate
systemd units instead (deploy/systemd/)."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandError


def lachan_argv(*args):
    return [sys.executable, "-m", "lachan.cli", *args]


def default_processes():
    procs = {"web": lachan_argv("serve"), "worker": lachan_argv("worker"), "scheduler": lachan_argv("scheduler")}
    if "monitor" in get_commands():  # the website monitor, once the monitoring app provides it
        procs["monitor"] = lachan_argv("monitor")
    return procs


class Supervisor:
    def __init__(self, processes, *, out=None, grace=20.0, env=None):
        self.processes = dict(processes)
        self.out = out or sys.stdout
        self.grace = grace
        self.env = {**(os.environ if env is None else env), "PYTHONUNBUFFERED": "1"}
        self.children = {}
        self.stop_signals = 0
        self._lock = threading.Lock()
        self._width = max(len(name) for name in self.processes)

    def say(self, name, line):
        with self._lock:
            self.out.write(f"{name:<{self._width}} | {line.rstrip()}\n")
            self.out.flush()

    def _pump(self, name, stream):
        for raw in iter(stream.readline, b""):
            self.say(name, raw.decode("utf-8", "replace"))
        stream.close()

    def start(self):
        for name, argv in self.processes.items():
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                env=self.env, start_new_session=True,  # terminal Ctrl+C reaches us only; we forward it
            )
            self.children[name] = proc
            threading.Thread(target=self._pump, args=(name, proc.stdout), daemon=True).start()
            self.say(name, f"started (pid {proc.pid}): {' '.join(argv[2:])}")

    def _on_signal(self, signum, frame):
        self.stop_signals += 1
        if self.stop_signals > 1:
            for proc in self.children.values():
                self._kill_group(proc, signal.SIGKILL)

    @staticmethod
    def _kill_group(proc, sig):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)

    def run(self, on_started=None):
        """Start everything, wait until a signal arrives or a child dies; returns the exit code."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.start()
            if on_started:
                threading.Thread(target=on_started, daemon=True).start()
            code = 0
            while not self.stop_signals:
                dead = [(name, proc) for name, proc in self.children.items() if proc.poll() is not None]
                if dead:
                    name, proc = dead[0]
                    self.say(name, f"exited with code {proc.returncode}; stopping the others")
                    code = proc.returncode or 1
                    break
                time.sleep(0.2)
            self.stop()
            return code
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def stop(self):
        for proc in self.children.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for name, proc in self.children.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(name, "did not stop in time; killing")
                self._kill_group(proc, signal.SIGKILL)
                proc.wait()
            self._kill_group(proc, signal.SIGKILL)  # leftovers of the group (gunicorn workers, rq horses)
        for name, proc in self.children.items():
            self.say(name, f"stopped ({proc.returncode})")


def wait_for_port(host, port, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.3)
    return False


def demo_account_lines():
    """The demo logins, as `lachan demo load` created them (lachan.demo.loader)."""
    try:
        from lachan.demo.loader import account_lines
    except ImportError:
        return ["Tài khoản minh họa / demo accounts: xem kết quả `lachan demo load` / see its output"]
    return account_lines()


def banner(url, *, demo):
    lines = [f"Lá Chắn đang chạy / is running: {url}"]
    if demo:
        lines += demo_account_lines()
    lines.append("Ctrl+C để dừng / to stop")
    bar = "=" * 72
    return "\n".join([bar, *lines, bar])


class Command(BaseCommand):
    help = (
        "Start the whole platform in the foreground: web (lachan serve), worker, scheduler (and monitor when "
        "available). Ctrl+C stops everything. --demo also prints the demo logins (from `lachan demo load`)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true", help="Print the demo logins once the web is up")
        parser.add_argument("--without", action="append", default=[], metavar="NAME",
                            help="Do not start this process (web, worker, scheduler, monitor); repeatable")

    def handle(self, *args, demo, without, **options):
        processes = {name: argv for name, argv in default_processes().items() if name not in without}
        if not processes:
            raise CommandError("nothing to start")
        bind = os.environ.get("LACHAN_BIND", "127.0.0.1:8000")
        host, _, port = bind.rpartition(":")
        url_host = "127.0.0.1" if host in ("", "0.0.0.0") else host.strip("[]")  # noqa: S104

        def announce():
            if "web" not in processes or bind.startswith("unix:"):
                return
            if not wait_for_port(url_host, int(port)):
                self.stderr.write(f"web did not open {bind} within 60 s")
                return
            self.stdout.write(banner(f"http://{url_host}:{port}/", demo=demo))
            self.stdout.flush()

        code = Supervisor(processes).run(on_started=announce)
        if code:
            raise SystemExit(code)
