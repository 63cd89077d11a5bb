"""The `paperwire` command: thin wrappers over library functions, rich output or --json.

`app` (cli/app.py) holds the typer app, its groups, the global options, exit codes and `main`;
cli/output.py is the one output layer; each other module holds one command group. They are
imported here in the order `paperwire --help` lists their commands.
"""

from paperwire.cli.app import EXIT_DEFERRED, EXIT_NOTHING_NEW, app, main

# Importing a command module registers its commands (the order is the --help order).
from paperwire.cli import store, ingest, index, search  # noqa: F401  # isort: skip
from paperwire.cli import evaluation, bench, users, digest  # noqa: F401  # isort: skip
from paperwire.cli import serve, pipeline  # noqa: F401  # isort: skip

__all__ = ["EXIT_DEFERRED", "EXIT_NOTHING_NEW", "app", "main"]
