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
    ) -> None:
        """Serve the web application: every account signs in and sees what its role may."""
        import uvicorn

        from sounding.web import create_app

        uvicorn.run(create_app(db), host=host, port=port, proxy_headers=proxy,
                    forwarded_allow_ips="127.0.0.1" if proxy else None, log_level="info")
