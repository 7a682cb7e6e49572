"""The sync engine: turning desired and live objects into ordered tasks (phases, waves, kinds,
hooks, prune) and running them against a cluster."""
