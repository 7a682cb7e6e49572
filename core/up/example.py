"""The ready-to-explore example of ``kedge up``: a local Git repository with a guestbook app
(a Deployment and a Service, like Argo CD's ``argocd-example-apps/guestbook``), registered as
the Application ``guestbook``. The repository is served to the repo server as a ``file://`` URL,
so it needs no Git server and survives restarts."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import yaml

from kedge.errors import KedgeError

APP_NAME = "guestbook"

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "guestbook-ui"},
    "spec": {
        "replicas": 1,
        "revisionHistoryLimit": 3,
        "selector": {"matchLabels": {"app": "guestbook-ui"}},
        "template": {
            "metadata": {"labels": {"app": "guestbook-ui"}},
            "spec": {
                "containers": [
                    {
                        "name": "guestbook-ui",
                        "image": "gcr.io/heptio-images/ks-guestbook-demo:0.2",
                        "ports": [{"containerPort": 80}],
                    }
                ]
            },
        },
    },
}
SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "guestbook-ui"},
    "spec": {"ports": [{"port": 80, "targetPort": 80}], "selector": {"app": "guestbook-ui"}},
}
README = """# Kedge example: guestbook

Edit the manifests in guestbook/, commit, and watch Kedge notice:

    git commit -am "scale up" && kedge app get guestbook --refresh
"""


def _git(*args: str, cwd: Path) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Kedge",
        "GIT_AUTHOR_EMAIL": "kedge@localhost",
        "GIT_COMMITTER_NAME": "Kedge",
        "GIT_COMMITTER_EMAIL": "kedge@localhost",
    }
    try:
        subprocess.run(
            ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True, timeout=60
        )
    except FileNotFoundError:
        raise KedgeError("git is not installed; install it, or run `kedge up --no-example`") from None
    except subprocess.CalledProcessError as exc:
        raise KedgeError(f"git {' '.join(args)} failed: {exc.stderr.strip()}") from None


def create_repository(data_dir: Path) -> tuple[str, Path]:
    """``(repo URL, working copy)``: a bare repository ``example/guestbook.git`` and a clone
    ``example/guestbook`` the user edits. Created once; an existing one is kept."""
    base = data_dir / "example"
    bare = base / "guestbook.git"
    work = base / "guestbook"
    if not bare.exists():
        base.mkdir(parents=True, exist_ok=True)
        _git("init", "-q", "--bare", "-b", "main", str(bare), cwd=base)
        _git("init", "-q", "-b", "main", str(work), cwd=base)
        (work / "guestbook").mkdir(parents=True, exist_ok=True)
        (work / "guestbook" / "guestbook-ui-deployment.yaml").write_text(
            yaml.safe_dump(DEPLOYMENT, sort_keys=False)
        )
        (work / "guestbook" / "guestbook-ui-svc.yaml").write_text(yaml.safe_dump(SERVICE, sort_keys=False))
        (work / "README.md").write_text(README)
        _git("add", "-A", cwd=work)
        _git("commit", "-q", "-m", "guestbook example", cwd=work)
        _git("remote", "add", "origin", str(bare), cwd=work)
        _git("push", "-q", "origin", "main", cwd=work)
        # push on commit, so `git commit` in the working copy is all a user needs
        hook = work / ".git" / "hooks" / "post-commit"
        hook.write_text("#!/bin/sh\ngit push -q origin HEAD:main\n")
        hook.chmod(0o755)
    return bare.resolve().as_uri(), work


def application(namespace: str, repo_url: str) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": APP_NAME, "namespace": namespace},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo_url, "targetRevision": "HEAD", "path": "guestbook"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "default"},
        },
    }
