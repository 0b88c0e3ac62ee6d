"""The web application: every role signs in and sees what its principal may see.

    from sounding.web import create_app
    app = create_app("sounding.db")      # FastAPI; `sounding serve --db URL` runs it

Pages (server-rendered Jinja2, Plotly offline) and the JSON API under ``/api/v1`` call
:mod:`sounding.services` with the signed-in principal and nothing else; the app factory is
the one place that opens the store (``tests/web/test_import_rule.py`` holds that).
"""

from sounding.web.app import create_app

__all__ = ["create_app"]
