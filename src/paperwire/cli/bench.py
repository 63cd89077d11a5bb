"""The `bench` group: benchmarks with same-run baselines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from paperwire.cli.app import BackendOpt, JsonOpt, PathsArg, bench_app, settings_of, with_backend
from paperwire.cli.output import emit_json, out
from paperwire.errors import ConfigError


@bench_app.command("ingest")
def bench_ingest_cmd(paths: PathsArg, as_json: JsonOpt = False) -> None:
    """Time `paperwire ingest daily FILES` as a fresh process into a fresh data home (twice),
    with CPU seconds and same-run baselines."""
    from paperwire.bench.ingest import bench_ingest

    result = bench_ingest(paths)
    if as_json:
        emit_json(result)
        return
    out.print(
        f"{result['records']:,} records -> {result['papers']:,} papers from {result['files']} files"
    )
    for label, run in (("first run", result["first_run"]), ("re-run", result["second_run"])):
        out.print(
            f"{label}: {run['records_per_s']:,} records/s ({run['wall_s']} s wall, of which "
            f"{run['process_start_and_exit_s']} s process start/exit; {run['user_s']} s user + "
            f"{run['sys_s']} s sys = {run['records_per_cpu_s']:,} records per CPU-second), "
            f"{run['new']:,} new"
        )
    parse, naive = result["baseline_parse_only"], result["baseline_naive_sqlite"]
    out.print(
        f"baselines: parse only {parse['records_per_s']:,}/s (ratio {result['ratio_vs_parse_only']}"
        f"), naive sqlite insert {naive['records_per_s']:,}/s "
        f"(ratio {result['ratio_vs_naive_sqlite']}, per CPU-second "
        f"{result['cpu_ratio_vs_naive_sqlite']})"
    )
    out.print(f"machine: {result['machine']}")


@bench_app.command("search")
def bench_search_cmd(
    ctx: typer.Context,
    papers: Annotated[
        int,
        typer.Option(
            "--papers",
            "-n",
            min=100,
            max=2_000_000,
            help="Index size (real papers, then synthetic).",
        ),
    ] = 100_000,
    daily: Annotated[
        Path, typer.Option(help="Per-day arXiv JSONL folder (the real papers).")
    ] = Path("../shared/data/arxiv/daily-arxiv-cs-2025-2026"),
    pool: Annotated[int, typer.Option(help="Real papers encoded for the vector pool.")] = 2000,
    queries: Annotated[int, typer.Option(help="Queries timed.")] = 200,
    bm25s_max: Annotated[
        int, typer.Option(help="Run the bm25s baseline up to this size.")
    ] = 200_000,
    backend: BackendOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Index build time, disk, resident memory and query latency, with same-run baselines."""
    from paperwire.bench.search import bench_search

    settings = settings_of(ctx)
    result = bench_search(
        papers,
        daily_dir=daily,
        cache_dir=settings.home_dir / "cache" / "embeddings",
        pool_size=pool,
        queries=queries,
        encoder_spec=settings.encoder,
        bm25s_max=bm25s_max,
        backend=with_backend(ctx, backend).index,
    )
    emit_json(result)


@bench_app.command("load")
def bench_load_cmd(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH",
            help="Per-day arXiv JSONL files or folders (default: "
            "../shared/data/arxiv/daily-arxiv-cs-2025-2026).",
            show_default=False,
        ),
    ] = None,
    data_home: Annotated[
        Path | None,
        typer.Option(help="Data home to build the store in, kept (default: a temporary one)."),
    ] = None,
    embed: Annotated[
        int, typer.Option(min=0, help="Embed at most N papers (all 75k: ~40 min on 2 cores).")
    ] = 0,
    clients: Annotated[int, typer.Option(min=1, max=1000, help="Concurrent connections.")] = 20,
    duration: Annotated[int, typer.Option(min=1, max=600, help="Seconds per run, at most.")] = 60,
    requests: Annotated[
        int, typer.Option(min=0, help="Requests per run, at most (0: only the duration).")
    ] = 4000,
    warmup: Annotated[
        int, typer.Option(min=0, max=60, help="Unreported warm-up seconds before each run.")
    ] = 10,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server worker processes.")] = 2,
    queries: Annotated[int, typer.Option(min=1, max=5000, help="Distinct queries.")] = 200,
    pages: Annotated[
        str, typer.Option(help="What to drive: search, lists (day, week, top, trending) or all.")
    ] = "search",
    base_src: Annotated[
        Path | None,
        typer.Option(
            help="With --pages lists: also serve the code of another checkout's src folder "
            "(e.g. a git worktree of the base commit) and drive both alternately; JSON ratios.",
        ),
    ] = None,
    rounds: Annotated[int, typer.Option(min=1, max=20, help="Rounds with --base-src.")] = 2,
) -> None:
    """Web search or list pages under concurrent load (wrk, 127.0.0.1 only), against same-run
    baselines (a static file, /about), or the list pages against a base checkout's
    (--base-src). JSON on stdout."""
    from paperwire.bench.load import DEFAULT_DAILY, LoadSpec, bench_load, lists_vs_base

    spec = LoadSpec(clients=clients, duration_s=duration, max_requests=requests, warmup_s=warmup)
    if base_src is not None:
        if pages != "lists":
            raise ConfigError("--base-src compares the list pages: use it with --pages lists")
        emit_json(
            lists_vs_base(
                paths or [DEFAULT_DAILY], base_src, rounds=rounds, spec=spec, workers=workers
            )
        )
        return
    result = bench_load(
        paths or [DEFAULT_DAILY],
        home=data_home,
        embed=embed,
        spec=spec,
        queries=queries,
        workers=workers,
        encoder=settings_of(ctx).encoder,
        pages=pages,
    )
    emit_json(result)


@bench_app.command("soak")
def bench_soak_cmd(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Per-day arXiv JSONL files or folders (default: "
            "../shared/data/arxiv/daily-arxiv-cs-2025-2026).",
            show_default=False,
        ),
    ] = None,
    duration: Annotated[int, typer.Option(min=1, help="Seconds of load.")] = 600,
    clients: Annotated[int, typer.Option(min=1, max=500, help="Client threads.")] = 20,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server worker processes.")] = 2,
    embed: Annotated[int, typer.Option(min=0, help="Papers embedded during the run.")] = 200,
    hold_back: Annotated[
        int, typer.Option(min=0, help="Day files ingested during the run, not before.")
    ] = 5,
) -> None:
    """Mixed workload (pages, search, feeds, API, sign-in, votes, bookmarks) against `serve
    --workers N` while ingest, index update and embedding run: errors, lost writes, worker
    memory, p95 per route. JSON on stdout."""
    from paperwire.bench.load import DEFAULT_DAILY
    from paperwire.bench.soak import bench_soak

    result = bench_soak(
        paths or [DEFAULT_DAILY],
        duration_s=duration,
        clients=clients,
        workers=workers,
        embed=embed,
        hold_back=hold_back,
    )
    emit_json(result)


@bench_app.command("digest")
def bench_digest_cmd(
    subscribers: Annotated[
        int, typer.Option("-n", "--subscribers", min=1, max=1_000_000, help="Subscribers.")
    ] = 10_000,
    baseline: Annotated[
        int, typer.Option(min=1, help="Messages in the raw smtplib baseline.")
    ] = 10_000,
) -> None:
    """Digest delivery throughput to a local SMTP server, against raw smtplib sends. JSON."""
    from paperwire.bench.digest import bench_digest

    emit_json(bench_digest(subscribers, baseline_messages=baseline))


@bench_app.command("ask")
def bench_ask_cmd(
    ctx: typer.Context,
    daily: Annotated[
        Path, typer.Option(help="Per-day arXiv JSONL folder (the store's papers).")
    ] = Path("../shared/data/arxiv/daily-arxiv-cs-2025-2026"),
    questions: Annotated[int, typer.Option(min=1, help="Questions timed.")] = 200,
    pool: Annotated[int, typer.Option(min=10, help="Real papers encoded for the pool.")] = 500,
    as_json: JsonOpt = False,
) -> None:
    """Ask latency (p50/p99, no language model) on a real store, against plain search."""
    from paperwire.bench.ask import bench_ask

    settings = settings_of(ctx)
    result = bench_ask(
        daily=daily,
        questions=questions,
        pool_size=pool,
        encoder_spec=settings.encoder,
        cache_dir=settings.home_dir / "cache" / "embeddings",
    )
    if as_json:
        emit_json(result)
        return
    a, b = result["ask_ms"], result["baseline_search_ms"]
    out.print(f"{result['papers']:,} papers, {result['questions']} questions "
              f"({result['answered']} answered)")  # fmt: skip
    out.print(f"ask:    p50 {a['p50']} ms, p99 {a['p99']} ms")
    out.print(
        f"search: p50 {b['p50']} ms, p99 {b['p99']} ms (baseline; ratio {result['ratio_p50']})"
    )
    out.print(f"machine: {result['machine']}")
