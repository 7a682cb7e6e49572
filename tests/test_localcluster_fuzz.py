"""Random malformed requests against the API (in-process ASGI calls): always a Status, never a 500."""

from __future__ import annotations

import asyncio
import json
import random

import pytest

from kedge.localcluster.server import APIServer
from kedge.localcluster.store import Store

WEIRD = [None, 1, "x", [], {}, [1], {"a": None}, True, -1, 1e30, "ñ" * 3]
RESOURCES = [
    ("apps", "v1", "deployments", "Deployment", True),
    ("", "v1", "pods", "Pod", True),
    ("", "v1", "services", "Service", True),
    ("", "v1", "configmaps", "ConfigMap", True),
    ("", "v1", "secrets", "Secret", True),
    ("batch", "v1", "jobs", "Job", True),
    ("", "v1", "namespaces", "Namespace", False),
    ("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", False),
    ("rbac.authorization.k8s.io", "v1", "roles", "Role", True),
    ("networking.k8s.io", "v1", "ingresses", "Ingress", True),
]
PATCH_TYPES = {
    "merge": b"application/merge-patch+json",
    "smp": b"application/strategic-merge-patch+json",
    "json": b"application/json-patch+json",
    "apply": b"application/apply-patch+yaml",
}


def _value(rng: random.Random, depth: int = 0) -> object:
    if depth > 2:
        return rng.choice(WEIRD)
    return rng.choice(
        WEIRD
        + [
            {"spec": _value(rng, depth + 1), "template": _value(rng, depth + 1)},
            [_value(rng, depth + 1)],
            {"containers": [_value(rng, depth + 1)]},
            {"metadata": _value(rng, depth + 1)},
        ]
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_random_bad_requests_never_get_a_500(seed):
    store = Store()
    app = APIServer(store, "tok")
    rng = random.Random(seed)

    async def call(method: str, path: str, body: bytes, qs: bytes, ctype: bytes) -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "method": method,
            "path": path,
            "query_string": qs,
            "headers": [(b"authorization", b"Bearer tok"), (b"content-type", ctype)],
        }
        sent: list[dict] = []
        msgs = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict:
            return msgs.pop(0) if msgs else {"type": "http.disconnect"}

        async def send(m: dict) -> None:
            sent.append(m)

        await app(scope, receive, send)
        return sent[0]["status"], sent[1]["body"]

    async def run() -> list[str]:
        failures = []
        for _ in range(400):
            group, version, plural, kind, namespaced = rng.choice(RESOURCES)
            base = f"/apis/{group}/{version}" if group else f"/api/{version}"
            coll = base + ("/namespaces/default/" if namespaced else "/") + plural
            name = rng.choice(["x", "y"])
            meta = rng.choice(
                [
                    {"name": name},
                    {"name": name, "labels": _value(rng)},
                    _value(rng),
                    {"name": _value(rng)},
                    {"generateName": _value(rng)},
                    {"name": name, "finalizers": _value(rng), "ownerReferences": _value(rng)},
                ]
            )
            obj = {"apiVersion": f"{group}/{version}" if group else version, "kind": kind, "metadata": meta}
            for k in ("spec", "status", "data", "rules", "template", "subsets", "type", "stringData"):
                if rng.random() < 0.4:
                    obj[k] = _value(rng)
            body = json.dumps(obj).encode()
            method = rng.choice(["POST", "PUT", "PATCH", "DELETE", "GET"])
            qs = rng.choice(
                [b"", b"dryRun=All", b"fieldValidation=Strict", b"fieldManager=f&force=true", b"limit=1"]
            )
            ctype = b"application/json"
            path = coll
            if method == "PUT":
                path = f"{coll}/{name}"
            elif method == "DELETE":
                path = f"{coll}/{name}"
                body = rng.choice([b"", body, b"[]", b'{"propagationPolicy":1}'])
            elif method == "GET":
                path = coll + rng.choice(["", f"/{name}", f"/{name}/status", f"/{name}/scale"])
                body = b""
            elif method == "PATCH":
                ptype = rng.choice(list(PATCH_TYPES))
                ctype = PATCH_TYPES[ptype]
                path = f"{coll}/{name}" + rng.choice(["", "", "/status", "/scale"])
                if ptype == "json":
                    body = json.dumps(
                        rng.choice([_value(rng), [{"op": "add", "path": "/spec", "value": _value(rng)}]])
                    ).encode()
                if ptype == "apply" and b"fieldManager" not in qs:
                    qs = b"fieldManager=f"
            status, out = await call(method, path, body, qs, ctype)
            if status >= 500:
                failures.append(f"{method} {path} {qs!r}: {out[:200]!r} for {body[:200]!r}")
            elif status >= 400:
                assert json.loads(out)["kind"] == "Status"
        return failures

    try:
        assert asyncio.run(run()) == []
    finally:
        store.close()
