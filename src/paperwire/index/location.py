"""Where the index lives (`settings.index`): "embedded" (files in the data home) or a Milvus
server, "milvus://host:port[/collection]". Read here, with a clear error, before anything opens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from paperwire.errors import ConfigError

EMBEDDED = "embedded"
DEFAULT_COLLECTION = "paperwire"
MILVUS_PORT = 19530
_MILVUS = re.compile(r"^milvus://(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(?::(?P<port>[0-9]{1,5}))?"
                     r"(?:/(?P<collection>[A-Za-z_][A-Za-z0-9_]{0,254})?)?/?$")  # fmt: skip
# No square brackets: the CLI prints errors through rich, which reads them as markup.
ALLOWED = (
    "`embedded`, or `milvus://HOST:PORT` or `milvus://HOST:PORT/COLLECTION` "
    "(e.g. milvus://127.0.0.1:19530/paperwire)"
)


@dataclass(frozen=True)
class IndexLocation:
    kind: str  # "embedded" | "milvus"
    host: str = ""
    port: int = 0
    collection: str = ""

    @property
    def name(self) -> str:
        """The backend's name in the store's sync state: one per index, the same on every host."""
        if self.kind == EMBEDDED:
            return EMBEDDED
        return f"milvus://{self.host}:{self.port}/{self.collection}"


def parse_index(value: str | None) -> IndexLocation:
    """Read `settings.index`; ConfigError naming what is allowed for anything else."""
    text = (value or EMBEDDED).strip()
    if text.lower() == EMBEDDED:
        return IndexLocation(EMBEDDED)
    match = _MILVUS.match(text)
    if not match:
        raise ConfigError(f"index {text!r} is not valid: use {ALLOWED}")
    port = int(match["port"] or MILVUS_PORT)
    if not 0 < port < 65536:
        raise ConfigError(f"index {text!r}: port {port} is not between 1 and 65535")
    return IndexLocation("milvus", match["host"], port, match["collection"] or DEFAULT_COLLECTION)
