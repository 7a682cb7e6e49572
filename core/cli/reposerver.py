"""``kedge repo-server``: the repo server as its own process (HTTP/JSON, see :mod:`kedge.repo.http`)."""

from __future__ import annotations

import click

from kedge.cli.output import fail


@click.command("repo-server")
@click.option("--address", default="0.0.0.0", show_default=True, help="Listen address.")
@click.option("--port", default=8081, show_default=True, type=int, help="Listen port.")
@click.option(
    "--redis",
    default=None,
    help="Redis for the manifest cache: HOST:PORT or redis://... (default: in-process).",
)
@click.option(
    "--config-dir",
    type=click.Path(file_okay=False),
    help="Settings directory (argocd-cm, argocd-cmd-params-cm, repository Secrets, known hosts, TLS certs).",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    help="Git mirrors, checkouts and charts (KEDGE_REPO_CACHE_DIR).",
)
@click.option(
    "--parallelism-limit", type=int, default=None, help="Concurrent manifest generations (0 = unlimited)."
)
@click.option(
    "--revision-cache-expiration",
    default=None,
    help="How long ls-remote and index.yaml answers are reused (e.g. 3m).",
)
def repo_server(
    address: str,
    port: int,
    redis: str | None,
    config_dir: str | None,
    cache_dir: str | None,
    parallelism_limit: int | None,
    revision_cache_expiration: str | None,
) -> None:
    """Serve manifest generation for controllers in other processes or pods."""
    from kedge.errors import KedgeError

    try:
        server = build_server(config_dir, redis, cache_dir, parallelism_limit, revision_cache_expiration)
    except KedgeError as exc:
        fail(str(exc))
    import uvicorn

    from kedge.repo.http import create_app

    cfg = server.config
    click.echo(
        f"kedge repo-server listening on {address}:{port} (cache {cfg.cache_dir}, "
        f"manifests in {'redis ' + cfg.redis if cfg.redis else 'process memory'}, "
        f"parallelism {cfg.parallelism or 'unlimited'})",
        err=True,
    )
    uvicorn.run(create_app(server), host=address, port=port, log_level="warning")


def build_server(config_dir, redis, cache_dir, parallelism_limit, revision_cache_expiration):
    """A RepoServer from a settings directory plus command-line overrides."""
    import os

    from kedge.errors import ConfigError
    from kedge.repo.config import RepoServerConfig, parse_duration
    from kedge.repo.creds import CredentialStore, store_from_settings
    from kedge.repo.server import RepoServer

    params: dict[str, str] = {}
    creds = CredentialStore()
    cm: dict[str, str] = {}
    if config_dir:
        if not os.path.isdir(config_dir):
            raise ConfigError(f"{config_dir}: no such directory")
        from kedge.settings import load_dir

        settings = load_dir(config_dir)
        params = dict(getattr(settings.by_name.get("argocd-cmd-params-cm"), "data", {}) or {})
        creds = store_from_settings(settings)
        cm = dict(settings.cm)
    config = RepoServerConfig.from_env(
        params,
        redis=redis,
        cache_dir=cache_dir,
        parallelism=parallelism_limit,
        revision_cache_expiration=(
            parse_duration(revision_cache_expiration, "--revision-cache-expiration")
            if revision_cache_expiration
            else None
        ),
    )
    return RepoServer(config, credentials=creds, settings=cm)
