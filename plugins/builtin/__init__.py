"""Kedge's built-in plugins.

Each module listed in :data:`PLUGIN_MODULES` is a pluggy plugin, registered through the
entry point ``kedge = builtin`` exactly like a third-party plugin. To add a built-in, write a
module with ``@hookimpl`` functions and list it here.
"""

PLUGIN_MODULES: list[str] = [
    "kedge.builtin.health",
    "kedge.builtin.renderers.directory",
    "kedge.builtin.renderers.jsonnet",
    "kedge.builtin.renderers.helm",
    "kedge.builtin.renderers.kustomize",
    "kedge.builtin.renderers.cmp",
    "kedge.builtin.sources.git",
    "kedge.builtin.sources.helm",
]
