"""``kedge up``: everything on a laptop in one process.

:class:`~kedge.up.runner.Up` starts the embedded local cluster (or uses a kubeconfig), installs
the ``argoproj.io`` CRDs and the control-plane namespace with Argo CD's settings objects
(:mod:`kedge.up.bootstrap`), runs the repo server, the application controller and the API server
(composed by :func:`kedge.server.build_backend`), and creates a guestbook example on first start
(:mod:`kedge.up.example`). All state lives in the data directory.
"""

from kedge.up.runner import Up, UpOptions

__all__ = ["Up", "UpOptions"]
