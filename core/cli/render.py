"""``kedge admin app render``: render an Application's source(s) locally, like the controller.

No server and no cluster: the repository is fetched into the local repo cache
(``KEDGE_REPO_CACHE_DIR``, default ``~/.cache/kedge/repo``) or read from ``--local DIR``.
Output is sorted by (group, kind, namespace, name); YAML documents by default.
"""

from __future__ import annotations

import click

from kedge.cli.lazy import LazyGroup
from kedge.cli.output import fail

#: ``kedge admin app`` subcommands
APP_COMMANDS: dict[str, tuple[str, str]] = {
    "render": (
        "kedge.cli.render:render",
        "Render an Application's manifests locally (no server, no cluster)",
    ),
}


@click.group(cls=LazyGroup, lazy=APP_COMMANDS)
def app() -> None:
    """Work with Application manifests locally."""


def sort_key(obj: dict) -> tuple[str, str, str, str]:
    api = str(obj.get("apiVersion") or "")
    group = api.rsplit("/", 1)[0] if "/" in api else ""
    meta = obj.get("metadata") or {}
    return (group, str(obj.get("kind") or ""), str(meta.get("namespace") or ""), str(meta.get("name") or ""))


def load_application(path: str) -> dict:
    """The single Application in a YAML/JSON file; KedgeError with file:line otherwise."""
    import yaml

    from kedge.errors import ConfigError

    try:
        with open(path, encoding="utf-8") as fh:
            docs = [d for d in yaml.safe_load_all(fh) if d is not None]
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}{where}: invalid YAML: {problem}") from None
    apps = [d for d in docs if isinstance(d, dict) and d.get("kind") == "Application"]
    if not apps:
        raise ConfigError(f"{path}: no document with kind: Application")
    if len(apps) > 1:
        names = ", ".join(str((a.get("metadata") or {}).get("name")) for a in apps)
        raise ConfigError(f"{path}: {len(apps)} Applications ({names}); put one per file")
    app_obj = apps[0]
    from kedge.model import ModelError, parse_application

    try:
        parse_application(app_obj, path)  # Argo CD's validation, with exact messages
    except ModelError as exc:
        raise ConfigError(str(exc)) from None
    return app_obj


@click.command()
@click.argument("application_yaml", type=click.Path(dir_okay=False))
@click.option(
    "--local",
    "local",
    type=click.Path(file_okay=False),
    help="Render this directory instead of fetching the source.",
)
@click.option(
    "--local-repo-root",
    type=click.Path(file_okay=False),
    help="Repository root for --local (files outside it are refused); default: the --local directory.",
)
@click.option("--source-index", type=int, default=None, help="Render only this source of a multi-source app.")
@click.option("--revision", help="Override targetRevision (of the first source, or of --source-index).")
@click.option("--kube-version", default="", help="Kubernetes version of the destination (e.g. 1.32.0).")
@click.option("--api-versions", "api_versions", multiple=True, help="API versions available (repeatable).")
@click.option(
    "--config-dir",
    type=click.Path(file_okay=False),
    help="Settings directory (argocd-cm, repository Secrets, known hosts) like `kedge admin settings validate`.",
)
@click.option("--hard-refresh", is_flag=True, help="Ignore cached ls-remote answers.")
@click.option("-o", "--output", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
def render(
    application_yaml: str,
    local: str | None,
    local_repo_root: str | None,
    source_index: int | None,
    revision: str | None,
    kube_version: str,
    api_versions: tuple[str, ...],
    config_dir: str | None,
    hard_refresh: bool,
    output: str,
) -> None:
    """Render APPLICATION_YAML's source(s) exactly as the controller would."""
    import json

    from kedge.errors import KedgeError

    try:
        app_obj = load_application(application_yaml)
        server = _server(config_dir)
        if local:
            objs = server.generate_local(
                app_obj,
                local,
                repo_root=local_repo_root,
                source_index=source_index or 0,
                kube_version=kube_version,
                api_versions=list(api_versions),
            )
        else:
            objs = server.generate_manifests(
                app_obj,
                source_index=source_index,
                revision=revision,
                hard_refresh=hard_refresh,
                kube_version=kube_version,
                api_versions=list(api_versions),
            ).manifests
    except KedgeError as exc:
        fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - never a traceback in the CLI
        fail(f"internal error: {type(exc).__name__}: {exc}")
    objs = sorted(objs, key=sort_key)
    if output == "json":
        click.echo(json.dumps(objs, indent=2))
    else:
        import yaml

        click.echo(
            "---\n".join(yaml.safe_dump(o, sort_keys=False, default_flow_style=False) for o in objs), nl=False
        )


def _server(config_dir: str | None):
    from kedge.repo.config import RepoServerConfig
    from kedge.repo.server import RepoServer

    if not config_dir:
        return RepoServer(RepoServerConfig.from_env())
    import os

    from kedge.errors import ConfigError
    from kedge.repo.creds import store_from_settings
    from kedge.settings import load_dir

    if not os.path.isdir(config_dir):
        raise ConfigError(f"{config_dir}: no such directory")
    settings = load_dir(config_dir)
    params = dict(getattr(settings.by_name.get("argocd-cmd-params-cm"), "data", {}) or {})
    return RepoServer(
        RepoServerConfig.from_env(params),
        credentials=store_from_settings(settings),
        settings=dict(settings.cm),
    )
