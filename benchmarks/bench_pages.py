"""Benchmark: the main pages and API lists of a large organisation, against the sign-in page and the demo.

Builds (once, then cached) the large organisation of benchmarks/large_org.py and the demo organisation, each
in a database of its own, and renders every page through the app in this process: the median of 20 requests
after 3 warm-ups, the size of the answer and its SQL statements. Each page is reported as a ratio to the
sign-in page measured in the same run, and the large organisation against the demo.

    .venv/bin/python benchmarks/bench_pages.py                       # SQLite files under benchmarks/.cache/
    AUDIT_BENCH_DATABASE_URL=postgresql+psycopg://user@host/db \\
        .venv/bin/python benchmarks/bench_pages.py --postgresql      # <db>_large and <db>_demo on that server
    .venv/bin/python benchmarks/bench_pages.py --throughput          # also gunicorn (4 workers) + wrk, 60 s each

Targets (the hardening issue): every page and API list at most 5x the sign-in page and at most 1.5x its own
cost on the demo; mixed-page throughput on the large organisation at least a quarter of the sign-in page's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.cookiejar import CookieJar
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.record_queries import get_recorded_queries
from large_org import CACHE, PASSWORD, World, cached

from audit_app import create_app
from audit_app.extensions import db
from audit_app.models import Audit, AuditProgramme, ChecklistResponse, Sample, User

RUNS, WARMUP = 20, 3


def _app(url: str, instance: Path) -> Flask:
    return create_app(
        {
            "SECRET_KEY": "benchmark-only",
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_RECORD_QUERIES": True,
            "SESSION_COOKIE_SECURE": False,
            "WTF_CSRF_ENABLED": False,
            "AUTH_RATE_LIMIT_ENABLED": False,
            "INSTANCE_PATH": str(instance),
        }
    )


def _database(url: str, name: str) -> str:
    """A database of its own on the same PostgreSQL server (created if missing)."""
    parsed = sa.engine.make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def _migrated(url: str, instance: Path) -> Flask:
    app = _app(url, instance)
    with app.app_context():
        upgrade()
    return app


def _demo_world(app: Flask, instance: Path) -> World:
    credentials = instance / "demo_credentials.txt"
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["demo"])  # the README's demo, exactly (idempotent)
    if result.exit_code != 0:
        raise SystemExit(f"the demo did not load: {result.output}")
    with app.app_context():
        saved = dict(line.split(" ", 1) for line in credentials.read_text().splitlines() if " " in line)
        audit = db.session.scalar(
            sa.select(Audit).join(Sample, Sample.audit_id == Audit.id).order_by(Audit.id).limit(1)
        ) or db.session.scalar(sa.select(Audit).order_by(Audit.id))
        by_role = {u.role.value: u.email for u in db.session.scalars(sa.select(User).order_by(User.id))}
        demo_samples = db.session.scalars(sa.select(Sample.id).where(Sample.audit_id == audit.id).order_by(Sample.id))
        sample_ids = {f"demo {n}": sample_id for n, sample_id in enumerate(demo_samples)}
        response = db.session.scalar(sa.select(ChecklistResponse.id).where(ChecklistResponse.audit_id == audit.id))
        programme = db.session.scalar(sa.select(AuditProgramme.id))
        world = World(
            by_role["admin"], audit.lead_auditor.email, by_role["auditor"], by_role["auditee"], programme or 0,
            audit.id, response or 0, sample_ids,
        )  # fmt: skip
    world.passwords = saved  # type: ignore[attr-defined]
    return world


def _client(app: Flask, email: str, password: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/auth/login", data={"email": email, "password": password})
    if response.status_code != 302:
        raise SystemExit(f"cannot sign in as {email}: {response.status_code}")
    return client


def _measure(app: Flask, get: Callable[[], object], name: str = "") -> tuple[float, int, int]:
    """(median ms, bytes, SQL statements of one request)."""
    for _ in range(WARMUP):
        get()
    times = []
    size = queries = 0
    for _ in range(RUNS):
        started = time.perf_counter()
        with app.app_context():
            response = get()
            queries = len(get_recorded_queries())
        times.append((time.perf_counter() - started) * 1000)
        size = len(response.get_data())  # type: ignore[attr-defined]
        if response.status_code != 200:  # type: ignore[attr-defined]
            raise SystemExit(f"{name}: answered {response.status_code}")  # type: ignore[attr-defined]
    return statistics.median(times), size, queries


def pages(world: World) -> dict[str, str]:
    audit, sample = world.audit_id, world.sample_ids
    largest = max(sample.values()) if sample else 0
    result = {
        "dashboard": "/",
        "audits list": "/audits/",
        "my audits": "/audits/mine",
        "calendar": "/audits/calendar",
        "audit overview": f"/audits/{audit}",
        "working checklist": f"/audits/{audit}/checklist",
        "checklist item": f"/audits/{audit}/checklist/{world.response_id}",
        "samples list": f"/audits/{audit}/samples",
        "org units": "/organisation/units",
        "AI systems": "/organisation/ai-systems",
        "library search": "/library/?q=risk",
        "programme and coverage matrix": f"/programmes/{world.programme_id}",
        "scope coverage": f"/programmes/{world.programme_id}/coverage/scope",
        "API audits": "/api/v1/audits",
        "API AI systems": "/api/v1/ai-systems",
        "API org units": "/api/v1/org-units",
        "API evidence": f"/api/v1/audits/{audit}/evidence",
        "API coverage": f"/api/v1/programmes/{world.programme_id}/coverage",
    }
    if largest:
        result["sample page (largest)"] = f"/audits/{audit}/samples/{largest}"
        result["API sample items (largest)"] = f"/api/v1/audits/{audit}/samples/{largest}/items"
    return result


def _token(app: Flask, email: str) -> dict[str, str]:
    from audit_app.services import accounts

    with app.app_context():
        user = accounts.find_by_email(email)
        _, raw = accounts.create_token(user, "benchmark", actor=None)
        db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


def run(app: Flask, world: World, password: Callable[[str], str]) -> dict[str, tuple[float, int, int]]:
    anonymous = app.test_client()
    figures = {"sign-in page": _measure(app, lambda: anonymous.get("/auth/login"))}
    client = _client(app, world.admin_email, password(world.admin_email))
    headers = _token(app, world.admin_email)
    for name, path in pages(world).items():
        if name.startswith("API"):
            figures[name] = _measure(app, lambda p=path: client.get(p, headers=headers), f"{name} {path}")
        else:
            figures[name] = _measure(app, lambda p=path: client.get(p), f"{name} {path}")
    return figures


def report(large: dict[str, tuple[float, int, int]], demo: dict[str, tuple[float, int, int]]) -> None:
    base = large["sign-in page"][0]
    demo_base = demo["sign-in page"][0]
    print(f"\n{'page':<28}{'large ms':>10}{'x sign-in':>11}{'demo ms':>10}{'x demo':>9}{'KB':>9}{'SQL':>6}")
    for name, (ms, size, queries) in large.items():
        demo_ms = demo.get(name, (0.0, 0, 0))[0]
        # Against the demo, both as a ratio to their own sign-in page (the runs are minutes apart).
        versus = (ms / base) / (demo_ms / demo_base) if demo_ms else float("nan")
        print(f"{name:<28}{ms:>10.1f}{ms / base:>11.2f}{demo_ms:>10.1f}{versus:>9.2f}{size / 1024:>9.1f}{queries:>6}")


def throughput(url: str, world: World, instance: Path, seconds: int = 60) -> None:
    """Requests per second under 50 clients: the sign-in page alone, then the main pages mixed."""
    env = {
        **os.environ,
        "AUDIT_DATABASE_URL": url,
        "AUDIT_SECRET_KEY": "benchmark-only",
        "AUDIT_SESSION_COOKIE_SECURE": "false",
        "AUDIT_AUTH_RATE_LIMIT_ENABLED": "false",
        "AUDIT_INSTANCE_PATH": str(instance),
    }
    root = Path(__file__).resolve().parents[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "4", "-b", "127.0.0.1:8765", "wsgi:app"], cwd=root, env=env
    )
    try:
        time.sleep(4)
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        body = urllib.parse.urlencode({"email": world.admin_email, "password": PASSWORD}).encode()
        opener.open("http://127.0.0.1:8765/auth/login", body)
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        paths = [p for n, p in pages(world).items() if not n.startswith("API")]
        script = Path(tempfile.mkdtemp()) / "mixed.lua"
        script.write_text(
            "paths = {" + ",".join(f'"{p}"' for p in paths) + "}\ni = 0\n"
            f'wrk.headers["Cookie"] = "{cookie}"\n'
            'request = function() i = i % #paths + 1; return wrk.format("GET", paths[i]) end\n'
        )
        for label, extra in (("sign-in page", []), ("main pages mixed", ["-s", str(script)])):
            target = "http://127.0.0.1:8765/auth/login" if not extra else "http://127.0.0.1:8765"
            out = subprocess.run(  # noqa: S603
                ["wrk", "-t2", "-c50", f"-d{seconds}s", "--latency", *extra, target],  # noqa: S607
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            rps = next(line for line in out.splitlines() if line.startswith("Requests/sec"))
            p95 = next((line for line in out.splitlines() if line.strip().startswith("90%")), "")
            print(f"{label:<20} {rps.split(':')[1].strip():>10} requests/s   latency {p95.strip()}")
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql", action="store_true", help="use AUDIT_BENCH_DATABASE_URL")
    parser.add_argument("--throughput", action="store_true", help="also measure requests/s with gunicorn and wrk")
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    if args.postgresql:
        base = os.environ["AUDIT_BENCH_DATABASE_URL"]
        urls = {"large": _database(base, "aims_bench_large"), "demo": _database(base, "aims_bench_demo")}
        key = "postgresql"
    else:
        urls = {name: f"sqlite:///{CACHE / f'{name}.sqlite'}" for name in ("large", "demo")}
        key = "sqlite"
    instances = {name: CACHE / f"{key}-{name}-instance" for name in urls}
    large_app = _migrated(urls["large"], instances["large"])
    print(f"large organisation ({key}): building or loading the cache …", flush=True)
    large_world = cached(large_app, f"{key}-large")
    demo_app = _migrated(urls["demo"], instances["demo"])
    demo_world = _demo_world(demo_app, instances["demo"])
    passwords = demo_world.passwords  # type: ignore[attr-defined]
    large = run(large_app, large_world, lambda _: PASSWORD)
    demo = run(demo_app, demo_world, lambda email: passwords[email])
    report(large, demo)
    if args.throughput:
        print("\nthroughput, large organisation (gunicorn -w 4, wrk -t2 -c50):")
        throughput(urls["large"], large_world, instances["large"])


if __name__ == "__main__":
    main()
