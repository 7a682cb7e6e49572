"""Resource actions (Argo CD's ``discovery.lua`` / ``action.lua``): discover and compute.

Public API::

    from kedge.actions import discover, run
    discover(obj, overrides)            # -> [{"name": "restart", "disabled": False, ...}, ...]
    run(obj, "scale", {"replicas": "3"}, overrides)
                                        # -> [{"operation": "patch", "resource": {...}}]
"""

from kedge.actions.engine import (
    CREATE,
    PATCH,
    ActionError,
    ActionScripts,
    directory_scripts,
    discover,
    library_scripts,
    run,
    run_action_script,
    run_discovery_script,
)

__all__ = [
    "CREATE",
    "PATCH",
    "ActionError",
    "ActionScripts",
    "directory_scripts",
    "discover",
    "library_scripts",
    "run",
    "run_action_script",
    "run_discovery_script",
]
