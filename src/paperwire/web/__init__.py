"""The web site and the JSON API: `create_app(settings)` returns the ASGI app."""

from paperwire.web.app import create_app

__all__ = ["create_app"]
