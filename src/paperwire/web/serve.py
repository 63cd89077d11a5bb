"""Running the web app under uvicorn (`paperwire serve`)."""

from __future__ import annotations

import logging
import os

from fastapi import FastAPI

from paperwire.settings import Settings

log = logging.getLogger(__name__)
SETTINGS_ENV = "PAPERWIRE_SERVE_SETTINGS"  # how worker processes get the parent's settings


def bring_index_up_to_date(settings: Settings) -> dict[str, int | float]:
    """Index what the store has that the index lacks, once, before any worker starts: the web
    processes only read the index (and reload it when the CLI updates it)."""
    from paperwire.index.manager import open_index, update_index
    from paperwire.store import open_store

    with open_store(settings) as store:
        result = update_index(store, open_index(settings))
    log.info(
        "index: %s papers read, %s in the index", result["papers_read"], result["papers_indexed"]
    )
    return result


def app_from_env() -> FastAPI:
    """The app factory a uvicorn worker process calls (settings passed in the environment)."""
    from paperwire.web.app import create_app

    raw = os.environ.get(SETTINGS_ENV)
    settings = Settings.model_validate_json(raw) if raw else Settings()
    return create_app(settings)


def run(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    *,
    update_index: bool = True,
) -> None:
    """Serve until interrupted. With workers > 1 uvicorn starts that many processes."""
    import uvicorn

    if update_index:
        bring_index_up_to_date(settings)
    os.environ[SETTINGS_ENV] = settings.model_dump_json()
    uvicorn.run(
        "paperwire.web.serve:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )
