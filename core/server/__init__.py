"""Kedge's API server: Argo CD's REST API paths and JSON shapes over an ASGI app.

* :func:`kedge.server.backend.build_backend` composes the in-process pieces (cluster client,
  settings watched in the control-plane namespace, repo server, controller, auth, RBAC);
* :func:`kedge.server.app.create_app` turns a started backend into an ASGI app;
* :mod:`kedge.server.routes` holds the route table the OpenAPI document is generated from.
"""

from kedge.server.app import create_app
from kedge.server.backend import Backend, build_backend, initialize_settings

__all__ = ["Backend", "build_backend", "create_app", "initialize_settings"]
