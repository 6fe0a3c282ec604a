#!/usr/bin/env python3
"""The two commands a newcomer runs, on any machine with Python 3.11+ (no make, no shell needed).

    python3 dev.py start   set up .venv and start dengji on an embedded default (the demo)
    python3 dev.py test    set up .venv with the test tools and run the whole test suite

Both create `.venv/` beside this file and install the project into it (editable) the first time, and
again whenever pyproject.toml changes. With CI=true (or --postgres), `test` also installs and starts a
local PostgreSQL server (Debian's package, as root) so the multi-desk and receiver tests run against it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
PG_URL = "postgresql://dengji:dengji@127.0.0.1:5432/dengji_test"


def say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def ensure_venv(extras: str) -> None:
    """Create .venv and install the project with `extras`, unless pyproject.toml is unchanged since."""
    if sys.version_info < (3, 11):
        sys.exit(f"dengji needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    stamp = VENV / f".installed-{extras or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest and PYTHON.exists():
        return
    if not PYTHON.exists():
        say(f"creating {VENV}")
        venv.create(VENV, with_pip=True)
    say("installing dengji and its dependencies (first run: about a minute)")
    target = f".[{extras}]" if extras else "."
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "--editable", target], cwd=ROOT, check=True)
    stamp.write_text(digest)


def start_postgres() -> str | None:
    """Install and start a local PostgreSQL (Debian, as root) and return a test database URL."""
    if os.environ.get("DENGJI_TEST_POSTGRES_URL"):
        return os.environ["DENGJI_TEST_POSTGRES_URL"]
    if os.name == "nt" or os.geteuid() != 0 or not shutil.which("apt-get"):
        say("PostgreSQL not set up (needs root and apt-get); its tests will be skipped")
        return None
    if not list(Path("/usr/lib/postgresql").glob("*/bin/postgres")):
        say("installing PostgreSQL (Debian package)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
    version = sorted(p.parent.parent.name for p in Path("/usr/lib/postgresql").glob("*/bin/postgres"))[-1]
    if not subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout.strip():
        subprocess.run(["pg_createcluster", version, "main"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["pg_ctlcluster", version, "main", "start"], check=False, stderr=subprocess.DEVNULL)

    def psql(sql: str) -> str:  # an argument list, no shell: nothing in the SQL is expanded
        return subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-q", "-tA", "-c", sql],
                              check=True, capture_output=True, text=True).stdout.strip()

    if psql("SELECT 1 FROM pg_roles WHERE rolname = 'dengji'") != "1":
        psql("CREATE ROLE dengji LOGIN SUPERUSER PASSWORD 'dengji'")
    if psql("SELECT 1 FROM pg_database WHERE datname = 'dengji_test'") != "1":
        psql("CREATE DATABASE dengji_test OWNER dengji")
    say(f"PostgreSQL {version} running on 127.0.0.1:5432")
    return PG_URL


def main() -> int:
    args = sys.argv[1:]
    if not args or args[0] not in ("start", "test"):
        print(__doc__)
        return 2
    if args[0] == "start":
        ensure_venv("")
        return subprocess.call([str(BIN / "dengji"), "demo", *args[1:]], cwd=ROOT)
    ensure_venv("test")
    env = dict(os.environ)
    rest = [a for a in args[1:] if a != "--postgres"]
    if env.get("CI") == "true" or "--postgres" in args:
        url = start_postgres()
        if url:
            env["DENGJI_TEST_POSTGRES_URL"] = url
    # loadgroup: tests marked xdist_group stay on one worker (the binary is built once, on that worker).
    # Three workers on two cores: many tests wait on a child process, a pseudo-terminal or a serial line.
    return subprocess.call([str(PYTHON), "-m", "pytest", "-q", "-n", "3", "--dist", "loadgroup", *rest], cwd=ROOT,
                           env=env)


if __name__ == "__main__":
    sys.exit(main())
