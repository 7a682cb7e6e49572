"""Cluster access: the official ``kubernetes`` client, the watch-based cluster cache, apply, and
resource tracking (which live objects belong to which Application)."""
