"""Kedge's built-in Lua library (health checks in ``health/``, resource actions in ``actions/``).

Data only; located with ``importlib.resources.files("kedge.lualib")``.
"""
