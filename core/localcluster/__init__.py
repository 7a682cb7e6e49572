"""Kedge's embedded Kubernetes cluster: an API server speaking the real REST protocol, backed by
SQLite, plus a workload simulator standing in for kube-controller-manager and kubelets."""
