"""`paperwire bench load`: the web site under concurrent load, as a user's machine would serve it.

Builds a store from per-day arXiv files (ingest, lexical index, optionally embeddings for a
bounded number of papers), starts `paperwire serve --workers 2 --no-index-update` on a free
127.0.0.1 port as a subprocess, and drives it with `wrk` (Debian's `apt-get install wrk`): N
keep-alive connections, each sending its next request as soon as the previous answer arrives
(a closed loop), for a bounded time or request count, whichever comes first.

Runs, one after the other, against the same server:

- baseline `/static/style.css`: the server stack alone (uvicorn, the ASGI middlewares, a file);
- baseline `/about`: a rendered page that reads the store and the index status, no search;
- `/search?q=...&mode=bm25`: ~200 real queries in rotation (first words of real titles, some
  with `cat:`, `year:` or a quoted phrase), lexical search only;
- `/search?q=...` in the server's default mode (hybrid+rerank), only when something is embedded.
  Hybrid search uses what is embedded: with a fraction of the papers embedded, dense and MaxSim
  scoring cover that fraction and the rest ranks through BM25 alone; with nothing embedded the
  default mode *is* BM25, so that run is skipped. Encoding all 75k papers takes ~40 min on 2
  cores; `embed` bounds it and the result reports the embedded fraction.

With `pages="lists"` (or "all": both) the runs are the list pages instead: the day, week, top
and trending lists (`list_paths`: the listing days of the files, the day in `order=top`, the
same with a category chip, trending of the week and, with a chip, of the day). `lists_vs_base`
serves the same list load from two trees, this one and an older checkout (a git worktree of a
base commit, its own store built by its own code), alternately in the same run, and gives the
p95 ratio (this tree / base): the list pages' budget against the code before them.

Each run is preceded by a short unreported warm-up (the encoder loads lazily in each worker).
Requests carry `Accept-Encoding: gzip, deflate` as browsers do (the app gzips large pages).
Errors are non-2xx answers plus wrk's socket errors (connect, read, write, timeout). The load
generator shares the machine with the server (one wrk thread, epoll), so it takes some CPU from
the two workers; the server logs every request as `paperwire serve` does by default.

Each run also reports the CPU cores used by every server process and by wrk over the run:
uvicorn's workers share one listening socket and a worker accepts every connection waiting
when it wakes, so 20 keep-alive connections opened at once can all land on one worker (the
split shows it).

Search figures are also given as ratios to the baselines of the same run (latency: search /
baseline, so > 1 is slower; throughput: search / baseline). The server is stopped at the end,
also when something fails, and the result says whether all its processes are gone.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from paperwire.bench.machine import describe_machine
from paperwire.errors import BadQuery, PaperwireError
from paperwire.search.query import parse_query
from paperwire.settings import Settings

DEFAULT_DAILY = Path("../shared/data/arxiv/daily-arxiv-cs-2025-2026")
MARKER = "PAPERWIRE_JSON "
LIMIT_MARKER = "PAPERWIRE_LIMIT"
TARGET_P95_MS = 100.0
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")


class LoadBenchError(PaperwireError):
    """The load benchmark could not run (wrk missing, the server did not start, ...)."""


@dataclass(frozen=True)
class LoadSpec:
    """How hard and how long each run drives the server."""

    clients: int = 20  # concurrent keep-alive connections
    duration_s: int = 60  # per run, at most
    max_requests: int = 4000  # per run, at most (0: no limit but the duration)
    threads: int = 1  # wrk threads (epoll; one drives 20 connections easily)
    timeout_s: int = 10  # a request slower than this counts as an error
    warmup_s: int = 10  # unreported, before each run (each worker loads the encoder lazily)

    def as_dict(self) -> dict[str, Any]:
        return {
            "clients": self.clients,
            "duration_limit_s": self.duration_s,
            "request_limit": self.max_requests,
            "wrk_threads": self.threads,
            "request_timeout_s": self.timeout_s,
            "warmup_s": self.warmup_s,
        }


# --- queries ---------------------------------------------------------------------------------


def _day_records(files: list[Path]) -> Iterator[tuple[str, dict[str, Any]]]:
    for f in files:
        with gzip.open(f, "rt", encoding="utf-8") if f.suffix == ".gz" else f.open() as fh:
            for line in fh:
                if line.strip():
                    yield f.name[:10], json.loads(line)


def make_queries(files: list[Path], count: int = 200, *, seed: int = 7) -> list[str]:
    """`count` distinct queries from real titles: 70% the first 2-6 words, 10% each with a
    `cat:` filter (the paper's primary category), a `year:` filter (its listing year), or a
    quoted two-word phrase. Every query parses (a bad query would be a 400, an error here)."""
    candidates = [
        (day, o.get("categories") or [], _WORD.findall(o.get("title") or ""))
        for day, o in _day_records(files)
    ]
    candidates = [c for c in candidates if len(c[2]) >= 3]
    if not candidates:
        raise LoadBenchError("no titles to build queries from in the daily files")
    rng = random.Random(seed)
    rng.shuffle(candidates)
    queries: list[str] = []
    seen: set[str] = set()
    for i, (day, categories, words) in enumerate(candidates):
        if len(queries) >= count:
            break
        words = [w for w in words if w.upper() not in {"AND", "OR", "NOT"}]
        text = " ".join(words[: rng.randint(2, 6)])
        kind = i % 10
        if kind == 7 and categories:
            text = f"{text} cat:{categories[0]}"
        elif kind == 8:
            text = f"{text} year:{day[:4]}"
        elif kind == 9 and len(words) >= 2:
            start = rng.randrange(len(words) - 1)
            text = f'"{words[start]} {words[start + 1]}"'
        try:
            parse_query(text)
        except BadQuery:
            continue
        if text.lower() not in seen:
            seen.add(text.lower())
            queries.append(text)
    return queries


def search_paths(queries: list[str], mode: str | None) -> list[str]:
    extra = {"mode": mode} if mode else {}
    return ["/search?" + urllib.parse.urlencode({"q": q, **extra}) for q in queries]


PAGES = ("search", "lists", "all")
MAX_LIST_DAYS = 20  # listing days the list load rotates over (the newest)


def list_paths(files: list[Path], *, days: int = MAX_LIST_DAYS) -> list[str]:
    """The list pages a reader opens, for the newest `days` listing days of the files (named
    YYYY-MM-DD...): each day, its week, the day in `order=top`, the same with a category chip
    (the most common primary category of the files), and trending (the week; the day with the
    chip). An older server ignores the parameters it does not know and serves its list."""
    found = sorted({f.name[:10] for f in files if re.fullmatch(r"\d{4}-\d{2}-\d{2}", f.name[:10])})
    if not found:
        raise LoadBenchError("no listing days (files named YYYY-MM-DD...) for the list load")
    counts: dict[str, int] = {}
    for _, record in _day_records([f for f in files if f.name[:10] in found[-2:]]):
        cats = record.get("categories") or []
        if cats:
            first = cats[0] if isinstance(cats, list) else str(cats).split()[0]
            counts[first] = counts.get(first, 0) + 1
    chip = max(sorted(counts), key=lambda c: counts[c]) if counts else "cs.LG"
    out = []
    for day in found[-days:]:
        out += [
            f"/day/{day}",
            f"/week/{day}",
            f"/day/{day}?order=top",
            f"/day/{day}?" + urllib.parse.urlencode({"order": "top", "cat": chip}),
        ]
    out += [
        "/trending?period=week",
        "/trending?" + urllib.parse.urlencode({"period": "day", "cat": chip}),
    ]
    return out


# --- the store -------------------------------------------------------------------------------


def build_store(
    home: Path, paths: list[Path], *, embed: int, encoder: str | None
) -> dict[str, Any]:
    """Ingest the daily files into `home` (a re-run changes nothing), index, embed up to
    `embed` papers; timings and what the index holds."""
    from paperwire.index.manager import embed_index, index_status, open_index, update_index
    from paperwire.ingest.files import DailyJsonl
    from paperwire.ingest.runner import run_ingest
    from paperwire.store import open_store

    home.mkdir(parents=True, exist_ok=True)
    settings = Settings(home=home, database_url=None, encoder=encoder)
    out: dict[str, Any] = {}
    with open_store(settings) as store:
        source = DailyJsonl(paths)
        t0 = time.perf_counter()
        summary = run_ingest(store, source, batch_size=settings.ingest_batch_size)
        out["files"] = len(source.files)
        out["ingest_s"] = round(time.perf_counter() - t0, 1)
        out["records_new"] = summary.new
        index = open_index(settings)
        out["index_s"] = update_index(store, index)["seconds"]
        if embed > 0:
            out["embed"] = embed_index(store, index, limit=embed)
        status = index_status(store, index)
    out.update(
        papers=status["store_papers"],
        papers_indexed=status["papers_indexed"],
        papers_embedded=status["papers_embedded"],
        embedded_fraction=round(status["embedded_fraction"], 4),
        index_up_to_date=status["up_to_date"],
    )
    return out


# --- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def group_pids(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, from /proc."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # state, ppid, pgrp, ...
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(entry.name))
    return sorted(pids)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    startup_s: float = 0.0
    pids: tuple[int, ...] = ()
    stopped: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def _wait_ready(server: Server, workers: int, timeout: float) -> None:
    """Until every worker has started (uvicorn logs it) and the site answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise LoadBenchError(
                f"the server exited with code {server.proc.returncode}: {server.log_tail()}"
            )
        if server.log_tail(1_000_000).count("Application startup complete") >= workers:
            try:
                if httpx.get(server.url + "/about", timeout=10).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
        time.sleep(0.25)
    raise LoadBenchError(f"the server did not answer within {timeout:.0f} s: {server.log_tail()}")


def stop_server(server: Server, grace: float = 20.0) -> bool:
    """SIGTERM to uvicorn's supervisor (it stops its workers), then SIGKILL to whatever of its
    process group is left; True when none of its processes remains."""
    pgid = server.proc.pid
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            server.proc.wait(grace)
    deadline = time.monotonic() + grace
    while group_pids(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if group_pids(pgid):
        with suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    try:
        server.proc.wait(5)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait(5)
    deadline = time.monotonic() + 5
    while group_pids(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    server.stopped = not group_pids(pgid)
    return server.stopped


@contextmanager
def running_server(
    home: Path,
    workdir: Path,
    *,
    workers: int = 2,
    startup_timeout: float = 300.0,
    src: Path | None = None,
    name: str = "server",
) -> Iterator[Server]:
    """`paperwire serve` on a free loopback port in its own process group; stopped on exit.
    `src`: the `src` folder of another checkout to serve from (first on PYTHONPATH)."""
    port = free_port()
    log = workdir / f"{name}.log"
    cmd = [
        sys.executable,
        "-m",
        "paperwire",
        "--home",
        str(home),
        "--db",
        f"sqlite:///{home / 'paperwire.db'}",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-index-update",
    ]
    started = time.perf_counter()
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            cmd,
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=_env_for(src),
        )
    server = Server(proc, port, log)
    try:
        _wait_ready(server, workers, startup_timeout)
        server.startup_s = round(time.perf_counter() - started, 2)
        server.pids = tuple(group_pids(proc.pid))
        yield server
    finally:
        stop_server(server)


def _env_for(src: Path | None) -> dict[str, str] | None:
    """The environment of a process running another checkout's code (None: this one's)."""
    if src is None:
        return None
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(src.resolve()), env.get("PYTHONPATH", "")]).strip(
        os.pathsep
    )
    return env


_BUILD = (
    "import json, sys; from pathlib import Path; from paperwire.bench.load import build_store; "
    "print(json.dumps(build_store(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]], "
    "embed=0, encoder=None)))"
)


def build_store_with(src: Path, home: Path, paths: list[Path]) -> dict[str, Any]:
    """`build_store` run by another checkout's code (its own schema and ingest), in a child."""
    cmd = [sys.executable, "-c", _BUILD, str(home), *(str(p) for p in paths)]
    proc = subprocess.run(cmd, env=_env_for(src), capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise LoadBenchError(f"building the base store failed: {proc.stderr[-2000:]}")
    built: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return built


@contextmanager
def cpu_meter(server: Server) -> Iterator[dict[str, Any]]:
    """CPU cores used during the block by each server process (uvicorn's supervisor, its
    workers; a worker near 1.0 and another near 0 means the connections went to one worker)
    and by the load generator (the children this process waited for: wrk)."""
    out: dict[str, Any] = {}
    before = {pid: cpu_seconds(pid) for pid in server.pids}
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    yield out
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out["server_cpu_cores"] = {
        str(pid): round((cpu_seconds(pid) - before[pid]) / wall, 2) for pid in server.pids
    }
    load_gen = after.ru_utime + after.ru_stime - kids.ru_utime - kids.ru_stime
    out["load_generator_cpu_cores"] = round(load_gen / wall, 2)


# --- wrk -------------------------------------------------------------------------------------

# wrk's own duration is its sleep in the main thread (the whole -d even when every thread has
# stopped at the request limit), so the script times the run itself: monotonic clock (LuaJIT
# FFI) from a thread's first request to its last answer, the span over all threads. When a
# thread reaches its share of the limit it stops and prints LIMIT_MARKER; run_wrk then sends
# SIGINT, on which wrk ends its sleep and reports at once.
_LUA = """
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } pw_timespec;
int clock_gettime(int clk_id, pw_timespec *tp);
]]
local ts = ffi.new("pw_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

local paths = {%(paths)s}
local limit = %(limit)d
local counter = 0
responses = 0
non2xx = 0
offset = 0
first_us = -1
last_us = -1
local threads = {}

function setup(thread)
  thread:set("offset", #threads * 97)
  table.insert(threads, thread)
end

function init(args)
  counter = offset
  wrk.headers["Accept-Encoding"] = "gzip, deflate"
end

function request()
  if first_us < 0 then
    first_us = now_us()
  end
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end

function response(status, headers, body)
  last_us = now_us()
  responses = responses + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
  if limit > 0 and responses == limit then
    io.write("%(limit_marker)s\\n")
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local bad, answered, first, last = 0, 0, -1, -1
  for _, t in ipairs(threads) do
    bad = bad + t:get("non2xx")
    answered = answered + t:get("responses")
    local f, l = t:get("first_us"), t:get("last_us")
    if f >= 0 and (first < 0 or f < first) then first = f end
    if l > last then last = l end
  end
  local e = summary.errors
  io.write(string.format(
    '%(marker)s{"requests": %%d, "answered": %%d, "wrk_duration_us": %%d, ' ..
    '"span_us": %%d, "bytes": %%d, "non2xx": %%d, "connect": %%d, "read": %%d, ' ..
    '"write": %%d, "status_gt_399": %%d, "timeout": %%d, "mean_us": %%.1f, "max_us": %%d, ' ..
    '"p50_us": %%d, "p90_us": %%d, "p95_us": %%d, "p99_us": %%d}\\n',
    summary.requests, answered, summary.duration, math.max(0, last - first), summary.bytes,
    bad, e.connect, e.read, e.write, e.status, e.timeout, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99)))
end
"""


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise LoadBenchError("wrk is not installed (Debian: apt-get install wrk)")
    return found


def wrk_version() -> str:
    proc = subprocess.run([wrk_binary(), "-v"], capture_output=True, text=True, timeout=10)
    first = (proc.stdout or proc.stderr).splitlines()
    return first[0].split(" [")[0] if first else "wrk"


def _lua_string(path: str) -> str:
    # URL-encoded paths are plain ASCII without quotes or backslashes; check anyway.
    if not path.isascii() or '"' in path or "\\" in path:
        raise ValueError(f"not a safe URL path: {path!r}")
    return f'"{path}"'


def run_wrk(
    base_url: str, paths: list[str], spec: LoadSpec, workdir: Path, *, duration_s: int, limit: int
) -> dict[str, Any]:
    """One wrk run rotating through `paths`; the figures of its done() as a dict."""
    if not base_url.startswith("http://127.0.0.1:"):
        raise ValueError("the load benchmark drives loopback servers only")
    script = workdir / "rotate.lua"
    script.write_text(
        _LUA
        % {
            "paths": ", ".join(_lua_string(p) for p in paths),
            "limit": -(-limit // spec.threads) if limit > 0 else 0,
            "marker": MARKER,
            "limit_marker": LIMIT_MARKER,
        }
    )
    cmd = [
        wrk_binary(),
        f"-t{spec.threads}",
        f"-c{spec.clients}",
        f"-d{duration_s}s",
        f"--timeout={spec.timeout_s}s",
        "-s",
        str(script),
        base_url,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Bounded whatever happens: killed past its duration plus a margin.
    watchdog = threading.Timer(duration_s + spec.timeout_s + 30, proc.kill)
    watchdog.start()
    try:
        assert proc.stdout is not None
        lines, stopped = [], 0
        for line in proc.stdout:
            lines.append(line)
            if line.startswith(LIMIT_MARKER):
                stopped += 1
                if stopped == spec.threads:
                    _interrupt(proc)
        stderr = proc.stderr.read() if proc.stderr else ""
        proc.wait()
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    found = [ln for ln in lines if ln.startswith(MARKER)]
    if proc.returncode != 0 or not found:
        raise LoadBenchError(f"wrk failed ({proc.returncode}): {stderr or ''.join(lines)}")
    raw: dict[str, Any] = json.loads(found[-1][len(MARKER) :])
    return raw


def _interrupt(proc: subprocess.Popen[str]) -> None:
    """SIGINT until wrk reports: it ends its main thread's sleep on SIGINT, but a signal taken
    by a worker thread still finishing its stop only sets the flag, so repeat."""

    def repeat() -> None:
        for _ in range(20):
            if proc.poll() is not None:
                return
            with suppress(ProcessLookupError):
                proc.send_signal(signal.SIGINT)
            time.sleep(0.25)

    threading.Thread(target=repeat, daemon=True).start()


def _figures(raw: dict[str, Any], first_path: str) -> dict[str, Any]:
    seconds = (raw["span_us"] or raw["wrk_duration_us"]) / 1e6
    socket_errors = {k: raw[k] for k in ("connect", "read", "write", "timeout")}
    return {
        "example": first_path,
        "requests": raw["requests"],
        "errors": raw["non2xx"] + sum(socket_errors.values()),
        "non_2xx": raw["non2xx"],
        "socket_errors": socket_errors,
        "seconds": round(seconds, 2),
        "requests_per_s": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "latency_ms": {
            k: round(raw[f"{k}_us"] / 1000, 1) for k in ("p50", "p90", "p95", "p99", "mean", "max")
        },
        "mb_received": round(raw["bytes"] / 2**20, 1),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def _ratios(run: dict[str, Any], base: dict[str, Any]) -> dict[str, float | None]:
    def ratio(a: float, b: float) -> float | None:
        return round(a / b, 2) if b else None

    out = {
        f"{k}_latency": ratio(run["latency_ms"][k], base["latency_ms"][k])
        for k in ("p50", "p95", "p99")
    }
    out["requests_per_s"] = ratio(run["requests_per_s"], base["requests_per_s"])
    return out


# --- the benchmark ---------------------------------------------------------------------------


def bench_load(
    paths: list[Path],
    *,
    home: Path | None = None,
    embed: int = 0,
    spec: LoadSpec | None = None,
    queries: int = 200,
    workers: int = 2,
    encoder: str | None = None,
    workdir: Path | None = None,
    pages: str = "search",
) -> dict[str, Any]:
    """Build the store in `home` (default: a temporary one), serve it, drive it; see the
    module docstring. `pages`: search, lists or all. Raises LoadBenchError when wrk is missing
    or the server fails."""
    if pages not in PAGES:
        raise LoadBenchError(f"pages {pages!r} is not one of: {', '.join(PAGES)}")
    spec = spec or LoadSpec()
    version = wrk_version()  # fails early when wrk is missing
    with tempfile.TemporaryDirectory(prefix="paperwire-load-", dir=workdir) as tmp:
        tmpdir = Path(tmp)
        home = home or tmpdir / "home"
        load_before = [round(x, 2) for x in os.getloadavg()]
        build = build_store(home, paths, embed=embed, encoder=encoder)
        from paperwire.ingest.files import DailyJsonl

        files = DailyJsonl(paths).files
        texts = make_queries(files, queries) if pages != "lists" else []
        targets: dict[str, list[str]] = {
            "baseline_static": ["/static/style.css"],
            "baseline_about": ["/about"],
        }
        skipped = {}
        if pages != "lists":
            targets["search_bm25"] = search_paths(texts, "bm25")
            if build["papers_embedded"]:
                targets["search_default_mode"] = search_paths(texts, None)
            else:
                skipped["search_default_mode"] = (
                    "nothing embedded: the default mode (hybrid+rerank) falls back to BM25"
                )
        if pages != "search":
            targets["lists"] = list_paths(files)
        runs: dict[str, Any] = {}
        with running_server(home, tmpdir, workers=workers) as server:
            for name, target in targets.items():
                if spec.warmup_s:
                    run_wrk(server.url, target, spec, tmpdir, duration_s=spec.warmup_s, limit=0)
                with cpu_meter(server) as cpu:
                    raw = run_wrk(
                        server.url,
                        target,
                        spec,
                        tmpdir,
                        duration_s=spec.duration_s,
                        limit=spec.max_requests,
                    )
                runs[name] = _figures(raw, target[0]) | cpu
        log_lines = server.log_tail(10**9).count("\n")
    ratios = {
        f"{name}_vs_{base}": _ratios(runs[name], runs[base])
        for name in runs
        if name.startswith(("search", "lists"))
        for base in ("baseline_static", "baseline_about")
    }
    search_runs = {k: v for k, v in runs.items() if k.startswith("search")}
    return {
        "store": build,
        "queries": {"count": len(texts), "examples": texts[:8]},
        "pages": pages,
        "server": {
            "command": f"paperwire serve --workers {workers} --no-index-update (127.0.0.1)",
            "workers": workers,
            "default_mode": Settings().search_mode,  # the server reads the same environment
            "startup_s": server.startup_s,
            "supervisor_pid": server.proc.pid,
            "processes": len(server.pids),
            "pids": list(server.pids),
            "stopped": server.stopped,
            "log_lines": log_lines,
        },
        "load": spec.as_dict() | {"generator": version},
        "runs": runs,
        "skipped": skipped,
        "ratios": ratios,
        "target": {
            "p95_ms_at_most": TARGET_P95_MS,
            "errors": 0,
            "met": all(
                r["latency_ms"]["p95"] <= TARGET_P95_MS and r["errors"] == 0
                for r in search_runs.values()
            ),
        },
        "load_average_before": load_before,
        "machine": describe_machine(),
    }


# --- the list pages against a base commit ----------------------------------------------------


def lists_vs_base(
    paths: list[Path],
    base_src: Path,
    *,
    rounds: int = 2,
    spec: LoadSpec | None = None,
    workers: int = 2,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """The same list load (`list_paths`) against two servers, this tree's and one running the
    code under `base_src` (another checkout's `src`), each over a store its own code built
    from `paths`: `rounds` rounds, each driving both, the order alternating; the ratios are
    this tree's figures over the base's (p95 > 1: slower now)."""
    spec = spec or LoadSpec()
    version = wrk_version()
    with tempfile.TemporaryDirectory(prefix="paperwire-lists-", dir=workdir) as tmp:
        tmpdir = Path(tmp)
        load_before = [round(x, 2) for x in os.getloadavg()]
        builds = {
            "base": build_store_with(base_src, tmpdir / "base-home", paths),
            "this": build_store(tmpdir / "this-home", paths, embed=0, encoder=None),
        }
        from paperwire.ingest.files import DailyJsonl

        targets = list_paths(DailyJsonl(paths).files)
        runs: dict[str, list[dict[str, Any]]] = {"base": [], "this": []}
        with (
            running_server(
                tmpdir / "base-home", tmpdir, workers=workers, src=base_src, name="base"
            ) as base,
            running_server(tmpdir / "this-home", tmpdir, workers=workers, name="this") as this,
        ):
            servers = {"base": base, "this": this}
            for n in range(rounds):
                for tree in ("base", "this") if n % 2 == 0 else ("this", "base"):
                    url = servers[tree].url
                    if spec.warmup_s:
                        run_wrk(url, targets, spec, tmpdir, duration_s=spec.warmup_s, limit=0)
                    with cpu_meter(servers[tree]) as cpu:
                        raw = run_wrk(
                            url,
                            targets,
                            spec,
                            tmpdir,
                            duration_s=spec.duration_s,
                            limit=spec.max_requests,
                        )
                    runs[tree].append(_figures(raw, targets[0]) | cpu | {"round": n + 1})
    summary = {tree: _summary(found) for tree, found in runs.items()}
    per_round = [
        round(t["latency_ms"]["p95"] / b["latency_ms"]["p95"], 3)
        for t, b in zip(runs["this"], runs["base"], strict=True)
        if b["latency_ms"]["p95"]
    ]
    return {
        "base_src": str(base_src),
        "stores": builds,
        "paths": {"count": len(targets), "examples": targets[:6]},
        "load": spec.as_dict() | {"generator": version, "rounds": rounds, "workers": workers},
        "runs": runs,
        "summary": summary,
        "ratio": {
            "p95": _ratio(summary["this"]["p95_ms"], summary["base"]["p95_ms"]),
            "p50": _ratio(summary["this"]["p50_ms"], summary["base"]["p50_ms"]),
            "requests_per_s": _ratio(
                summary["this"]["requests_per_s"], summary["base"]["requests_per_s"]
            ),
            "p95_per_round": per_round,
            "p95_budget": 1.2,
        },
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "machine": describe_machine(),
    }


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _summary(found: list[dict[str, Any]]) -> dict[str, Any]:
    """The median over the rounds of p50, p95 and requests/s; errors summed."""
    return {
        "p50_ms": round(_median([r["latency_ms"]["p50"] for r in found]), 1),
        "p95_ms": round(_median([r["latency_ms"]["p95"] for r in found]), 1),
        "requests_per_s": round(_median([r["requests_per_s"] for r in found]), 1),
        "errors": sum(r["errors"] for r in found),
        "requests": sum(r["requests"] for r in found),
    }


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None
