"""Argo CD-style settings (``argocd-cm``, ``argocd-rbac-cm``, ``argocd-cmd-params-cm``, Secrets)."""
