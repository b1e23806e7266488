"""The site over HTTP under concurrent users: gunicorn (2 sync workers) on loopback, started as
in production (``DJANGO_ENV=production``: DEBUG off, WhiteNoise over collected static files,
the manifest storage), against the seeded benchmark database.

A load generator of our own (threads + ``http.client``, one keep-alive connection and one
logged-in session per client) rather than locust: locust would bring gevent, Flask and a
dozen other packages into the dev environment for what is here a closed loop of GET requests,
and its greenlets would compete for the same two cores as gunicorn and PostgreSQL. Threads
are enough because a client spends its time waiting on the socket, which releases the GIL.

Each client logs in once through the login form (GET for the CSRF token, POST), then loops
with no think time over HR's overview, the rankings and two API lists (results of the year,
institutions), each client starting at a different page of the cycle. The baseline is the
same load (same clients, same duration) on the login page, an anonymous GET of a small
template. Reported, never asserted: throughput, p95 latency and the error count (any answer
other than 200, or a failed connection).
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.common import Bench, Context, median, p95

BASE_DIR = Path(__file__).resolve().parent.parent
PASSWORD = "scale1234"  # noqa: S105 — the seeded benchmark accounts (seed_scale)
WORKERS = 2
FULL = {"clients": 20, "seconds": 60}
QUICK = {"clients": 5, "seconds": 10}
TARGET_P95_MS = 2000  # 20 users with no think time: each waits for the others' pages too
TARGET_RPS = 10  # "dozens of HR staff on dashboards at once", one page every few seconds


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment(ctx: Context) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_ENV="production",
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=ctx.database_url,
        STATIC_ROOT=str(ctx.tmp / "static"),
        DATA_DIR=str(ctx.tmp / "data"),
        # Plain HTTP on loopback: no redirect to HTTPS, no HSTS.
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        LOG_LEVEL="WARNING",
        CACHE_KEY_PREFIX=f"{ctx.database_name}",
        # The pages are measured, not the sign-in: production asks HR for a second factor
        # (orgs.mfa), which the load's password sign-ins do not give (every page a redirect).
        MFA_REQUIRED_ROLES="",
    )
    env.pop("DEBUG", None)
    return env


class Server:
    """gunicorn as a child process; stopped (SIGTERM, then waited for) on exit."""

    def __init__(self, ctx: Context):
        self.env = _environment(ctx)
        self.port = _free_port()
        self.log = ctx.tmp / "gunicorn.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        python = sys.executable
        subprocess.run(
            [python, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=BASE_DIR, env=self.env, check=True,
        )  # fmt: skip
        gunicorn = str(Path(python).with_name("gunicorn"))
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [gunicorn, "config.wsgi", "-w", str(WORKERS), "-b", f"127.0.0.1:{self.port}",
                 "--timeout", "120"],
                cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {self.log}\n{self.log.read_text()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/login/")
                if conn.getresponse().status == 200:
                    conn.close()
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer within 60 s")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # seconds
    by_path: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, path: str, seconds: float, problem: str | None) -> None:
        with self.lock:
            if problem is None:
                self.latencies.append(seconds)
                self.by_path.setdefault(path, []).append(seconds)
            else:
                self.errors += 1
                if len(self.error_samples) < 5:
                    self.error_samples.append(problem)


class Session:
    """One user: a connection kept open (gunicorn's sync workers close it after each answer,
    http.client opens it again) and the cookies the server set."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None):
        headers = {"Host": "127.0.0.1", "Accept-Language": "zh-CN"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # a broken keep-alive: the next request opens a new one
            raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, content

    def log_in(self, username: str) -> None:
        status, page = self.request("GET", "/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise RuntimeError(f"login page answered {status}")
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token.group(1).decode(), "username": username,
             "password": PASSWORD}
        )  # fmt: skip
        status, _ = self.request("POST", "/login/", form)
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"{username} could not log in ({status})")


def _load(port: int, users: list[str | None], paths: list[str], seconds: float) -> tuple:
    """Closed loop: every user requests its next path as soon as the last answered."""
    sessions = []
    for username in users:
        session = Session(port)
        if username is not None:
            session.log_in(username)
        sessions.append(session)
    tally = Tally()
    start = threading.Event()
    stop_at = [0.0]

    def client(index: int, session: Session) -> None:
        start.wait()
        i = index
        while time.perf_counter() < stop_at[0]:
            path = paths[i % len(paths)]
            i += 1
            began = time.perf_counter()
            try:
                status, _ = session.request("GET", path)
                problem = None if status == 200 else f"{status} {path}"
            except (OSError, http.client.HTTPException) as exc:
                problem = f"{type(exc).__name__} {path}"
            tally.add(path, time.perf_counter() - began, problem)

    threads = [
        threading.Thread(target=client, args=(i, s), daemon=True) for i, s in enumerate(sessions)
    ]
    for t in threads:
        t.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    return tally, elapsed


def _summary(tally: Tally, elapsed: float) -> dict:
    ms = [s * 1000 for s in tally.latencies] or [0.0]
    return {
        "rps": len(tally.latencies) / elapsed,
        "p95": p95(ms),
        "median": median(ms),
        "requests": len(tally.latencies) + tally.errors,
        "errors": tally.errors,
        "samples": tally.error_samples,
    }


def run(ctx: Context) -> list[Bench]:
    from orgs.models import User

    shape = QUICK if ctx.quick else FULL
    clients, seconds = shape["clients"], shape["seconds"]
    year = ctx.year
    # HR and auditors read the overview and the rankings; alternate the two accounts.
    staff = [u for u in ("hr", "auditor") if User.objects.filter(username=u).exists()]
    users = [staff[i % len(staff)] for i in range(clients)]
    paths = [
        f"/dashboard/years/{year}/",
        f"/api/v1/results/?year={year}",
        f"/appraisal/years/{year}/rankings/",
        "/api/v1/institutions/",
    ]
    load = os.getloadavg()[0]
    with Server(ctx) as server:
        # One untimed pass so both workers have loaded templates and translations.
        _load(server.port, users[:WORKERS], paths, 2)
        mix, mix_elapsed = _load(server.port, users, paths, seconds)
        base, base_elapsed = _load(server.port, [None] * clients, ["/login/"], seconds)
    m, b = _summary(mix, mix_elapsed), _summary(base, base_elapsed)
    info = f"clients={clients} seconds={seconds} workers={WORKERS} institutions={ctx.institutions}"
    # The machine's load, for reading the numbers: the two cores are shared with PostgreSQL,
    # this load generator and whatever else runs.
    print(f"http: {info} load={load:.1f}")
    for path in paths:
        ms = [t * 1000 for t in mix.by_path.get(path, [])] or [0.0]
        print(
            f"http: {path} requests={len(mix.by_path.get(path, []))} "
            f"median={median(ms):.0f}ms p95={p95(ms):.0f}ms"
        )
    print(
        f"errors={m['errors']} requests={m['requests']} median={m['median']:.0f}ms "
        f"baseline_errors={b['errors']} baseline_requests={b['requests']}"
    )
    for sample in m["samples"] + b["samples"]:
        print(f"http error: {sample}")
    return [
        Bench(
            "http_throughput", m["rps"], "req/s", b["rps"], f">={TARGET_RPS}req/s",
            f"errors={m['errors']} requests={m['requests']} {info}",
        ),
        Bench(
            "http_p95", m["p95"], "ms", b["p95"], f"<={TARGET_P95_MS}ms",
            f"median={m['median']:.0f}ms baseline_median={b['median']:.0f}ms "
            f"errors={m['errors']} {info}",
        ),
    ]  # fmt: skip
