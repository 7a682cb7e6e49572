"""Role-based access control with Argo CD's model and policy format.

``Enforcer`` answers "may SUBJECT do ACTION on RESOURCE OBJECT?" exactly as Argo CD's Casbin
setup does (allow-and-not-deny, glob matching in which ``*`` also crosses ``/``, or regex
matching with ``policy.matchMode: regex``; ``policy.default`` checked first), through an index
instead of a scan of every policy line. :mod:`kedge.rbac.reference` builds the plain Casbin
enforcer it is tested against.
"""

from kedge.rbac.enforcer import Enforcer
from kedge.rbac.policy import Policy, PolicyLine, builtin_policy

__all__ = ["Enforcer", "Policy", "PolicyLine", "builtin_policy"]
