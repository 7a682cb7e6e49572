"""Endpoint modules; importing them registers their routes in :data:`kedge.server.routes.ROUTES`."""

MODULES = (
    "kedge.server.api.applications",
    "kedge.server.api.resources",
    "kedge.server.api.logs",
    "kedge.server.api.windows",
    "kedge.server.api.applicationsets",
    "kedge.server.api.projects",
    "kedge.server.api.repositories",
    "kedge.server.api.clusters",
    "kedge.server.api.session",
    "kedge.server.api.accounts",
    "kedge.server.api.misc",
    "kedge.server.stream",
    "kedge.server.webhook",
    "kedge.server.badge",
    "kedge.server.oidc",
)
