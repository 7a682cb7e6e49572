"""Kedge's built-in renderers, one pluggy plugin module each.

``directory`` (plain YAML/JSON/Jsonnet files), ``helm`` (in-process Helm, or an external
``helm`` binary), ``kustomize`` (``kubectl kustomize``), ``jsonnet`` (used by ``directory``
for ``.jsonnet`` files) and ``plugin`` (Argo CD ``ConfigManagementPlugin`` YAML files).
The repo server chooses among them with :mod:`kedge.repo.detect` and calls them through
:func:`kedge.repo.render.render`.
"""
