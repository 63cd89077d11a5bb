"""Structured logs: with `log_format = "json"` every log record is one JSON object per line
(time, level, logger, message, and the exception when there is one), uvicorn's included."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, get_args

from paperwire.errors import ConfigError
from paperwire.settings import LogFormat

FORMATS: tuple[str, ...] = get_args(LogFormat)
TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"
# Attributes every LogRecord has: anything else was passed in `extra=` and is kept.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                event[key] = value
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return json.dumps(event, default=str, ensure_ascii=False)


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    """Root logging in `log_format` ("text" or "json"); uvicorn's handlers follow json."""
    if log_format not in FORMATS:
        raise ConfigError(f"log_format {log_format!r}: use text or json")
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    for handler in root.handlers:
        handler.setFormatter(formatter)
    root.setLevel(level)
    if log_format == "json":
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            for handler in logging.getLogger(name).handlers:
                handler.setFormatter(formatter)
