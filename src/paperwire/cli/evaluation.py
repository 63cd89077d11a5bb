"""The `eval` group: search quality on BEIR sets, Ask, similar papers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from paperwire.cli.app import BackendOpt, JsonOpt, eval_app, settings_of, with_backend
from paperwire.cli.output import by_stage, emit_json, out, progress_bar
from paperwire.settings import Settings


@eval_app.command("beir")
def eval_beir(
    ctx: typer.Context,
    folder: Annotated[
        Path,
        typer.Argument(metavar="FOLDER", help="BEIR folder: corpus.jsonl, queries.jsonl, qrels/."),
    ],
    split: Annotated[str, typer.Option(help="qrels split: test, train or dev.")] = "test",
    modes: Annotated[
        str, typer.Option(help="Comma-separated modes.")
    ] = "bm25,dense,hybrid,hybrid+rerank",
    backend: BackendOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """nDCG@10, recall@100 and MRR@10 for each search mode on a BEIR-format dataset."""
    from paperwire.eval.run import run_beir
    from paperwire.search.service import check_mode

    settings = with_backend(ctx, backend)
    from paperwire.index.backend import MODES

    chosen = [check_mode(m.strip(), allowed=MODES) for m in modes.split(",") if m.strip()]
    report = _run_eval(
        settings,
        "eval",
        run_beir,
        folder,
        split=split,
        modes=chosen,
        scratch=_eval_scratch(settings, folder),
    )
    if as_json:
        emit_json(report)
        return
    table = Table(
        title=f"{report['dataset']} {report['split']}: {report['queries']} queries, "
        f"{report['docs']:,} docs"
    )
    for col in ("mode", "nDCG@10", "recall@100", "MRR@10", "ms/query", "vs best single"):
        table.add_column(col, justify="right" if col != "mode" else "left")
    for mode, r in report["results"].items():
        table.add_row(
            mode,
            f"{r['ndcg@10']:.4f}",
            f"{r['recall@100']:.4f}",
            f"{r['mrr@10']:.4f}",
            f"{r['ms_per_query']:.1f}",
            _versus(r.get("vs_best_single")),
        )
    out.print(table)


def _run_eval(
    settings: Settings, label: str, run: Callable[..., dict[str, Any]], *args: Any, **kwargs: Any
) -> dict[str, Any]:
    """`run(*args, **kwargs)` under the progress bar, given what every evaluation takes from the
    settings the same way: the encoder and the embedding cache (so a re-run encodes nothing)."""
    with progress_bar(label) as update:
        return run(
            *args,
            **kwargs,
            encoder_spec=settings.encoder,
            cache_dir=settings.home_dir / "cache" / "embeddings",
            progress=by_stage(update),
        )


@eval_app.command("ask")
def eval_ask(
    ctx: typer.Context,
    folder: Annotated[
        Path, typer.Argument(help="BEIR folder: corpus.jsonl, queries.jsonl, qrels/.")
    ] = Path("../shared/data/beir/scifact"),
    split: Annotated[str, typer.Option(help="qrels split: test or train.")] = "test",
    mode: Annotated[str, typer.Option(help="Search mode retrieving the papers.")] = "hybrid+rerank",
    lexical: Annotated[
        bool, typer.Option("--lexical", help="No encoder: BM25 and lexical sentence scores.")
    ] = False,
    calibrate: Annotated[
        bool, typer.Option(help="Pick weights, confidence curve and floor on this split.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Evidence precision of Ask against "first sentences of the top search hits"."""
    from paperwire.eval.ask import run_ask_eval
    from paperwire.search.service import check_mode

    settings = settings_of(ctx)
    report = _run_eval(
        settings,
        "eval ask",
        run_ask_eval,
        folder,
        split=split,
        mode=check_mode(mode),
        lexical_only=lexical,
        calibrate=calibrate,
    )
    if as_json:
        emit_json(report)
        return
    table = Table(
        title=f"Ask on {report['dataset']} {report['split']}: {report['questions']} questions, "
        f"{report['mode']}, {report['scoring']}"
    )
    cols = ["evidence_p@1", "evidence_p@3", "evidence_p@5", "papers_p@3", "papers_p@5"]
    table.add_column("run")
    for col in cols:
        table.add_column(col, justify="right")
    for name, r in report["results"].items():
        table.add_row(name, *(f"{r[c]:.4f}" for c in cols))
    out.print(table)
    ask_r = report["results"]["ask"]
    out.print(f"answered {ask_r['answered']:.1%}, precision@1 of those {ask_r['p@1_answered']:.4f}")
    if calibrate:
        out.print(f"calibrated: {report['config']}", highlight=False)


def _versus(c: dict[str, Any] | None) -> str:
    """'+12/-5/=283 vs bm25, p=0.03': per-query wins/losses/ties and the paired test."""
    if not c:
        return ""
    base = f" vs {c['baseline']}" if "baseline" in c else ""
    return f"+{c['wins']}/-{c['losses']}/={c['ties']}{base}, p={c['p_value']:.3f}"


@eval_app.command("similar")
def eval_similar(
    ctx: typer.Context,
    folder: Annotated[
        Path, typer.Argument(help="Folder of per-day arXiv listings (YYYY-MM-DD.jsonl[.gz]).")
    ],
    queries: Annotated[int, typer.Option(min=2, max=5000, help="Query papers.")] = 200,
    docs: Annotated[int, typer.Option(min=2, max=100_000, help="Papers in the set.")] = 1600,
    tune: Annotated[bool, typer.Option(help="Also score candidate fusion weights.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """nDCG@10 and MAP@100 of similar papers: lexical-only, dense-only and the shipped fusion."""
    from paperwire.eval.similar import METRICS, run_similar

    report = _run_eval(
        settings_of(ctx), "eval", run_similar, folder, queries=queries, docs=docs, tune=tune
    )
    if as_json:
        emit_json(report)
        return
    for split, r in report["splits"].items():
        table = Table(
            title=f"similar papers, {split}: {r['queries']} queries, {report['docs']:,} papers"
        )
        for col in ("method", "nDCG@10", "MAP@100", "fusion vs it (nDCG@10)", "(MAP@100)"):
            table.add_column(col, justify="right" if col != "method" else "left")
        for name in ("lexical", "dense", "fusion"):
            vs = r.get(f"fusion_vs_{name}", {})
            table.add_row(
                name,
                *(f"{r[name][m]:.4f}" for m in METRICS),
                *(_versus(vs.get(m)) for m in METRICS),
            )
        out.print(table)


def _eval_scratch(settings: Settings, folder: Path) -> Any:
    """For `eval beir`: None (the in-memory embedded index, as always) or a maker of the
    configured backend's scratch index for this dataset."""
    from paperwire.index.location import parse_index
    from paperwire.index.manager import open_scratch_backend

    if parse_index(settings.index).kind == "embedded":
        return None
    return lambda encoder: open_scratch_backend(settings, f"beir_{folder.name}", encoder=encoder)
