"""`sounding serve`: the web application (sign-in per role, pages and the JSON API)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        db: str = typer.Option("sounding.db", "--db", help="SQLite file or PostgreSQL URL."),
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
        port: int = typer.Option(8000, "--port", help="Port to listen on."),
        proxy: bool = typer.Option(False, "--behind-proxy",
                                   help="Trust X-Forwarded-Proto/For from a local proxy."),
        workers: int = typer.Option(1, "--workers", min=1,
                                    help="Worker processes (sessions live in the database, "
                                         "so any worker serves any signed-in user)."),
    ) -> None:
        """Serve the web application: every account signs in and sees what its role may."""
        import os
        import secrets

        import uvicorn

        from sounding.store import Store
        from sounding.web import create_app

        common = dict(host=host, port=port, proxy_headers=proxy,
                      forwarded_allow_ips="127.0.0.1" if proxy else None, log_level="info")
        if workers == 1:
            uvicorn.run(create_app(db), **common)
            return
        Store.open(db).close()  # create or migrate once, before the workers start
        os.environ["SOUNDING_DB"] = db
        # one cookie key for every worker (random per run unless the operator set one)
        os.environ.setdefault("SOUNDING_SECRET_KEY", secrets.token_urlsafe(32))
        # a worker busy for seconds (a page whose stored view is missing is computed on the
        # spot) must not be taken for a hung one and restarted: give it a minute
        uvicorn.run("sounding.web.app:app_from_env", factory=True, workers=workers,
                    timeout_worker_healthcheck=60, **common)
