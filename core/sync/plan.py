"""Ordering a sync: which tasks run, in which phase and wave.

Order (as Argo CD): phase (PreSync, Sync, PostSync, SyncFail), then wave, then kind (the
Helm install order: Namespaces first ... APIServices; unknown kinds, e.g. custom resources,
last), then name. Then two adjustments: a Namespace moves before the first task that lives
in it, a CRD before the first custom resource of its kind (each taking that task's phase and
wave). Prune tasks get their waves mirrored, so resources are deleted in reverse wave order;
``PruneLast`` prunes in an extra wave after the last one of the Sync phase.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kedge.kube.keys import ResourceKey, key_of
from kedge.sync import annotations as ann

PHASE_ORDER = {ann.PRE_SYNC: -1, ann.SYNC: 0, ann.POST_SYNC: 1, ann.SYNC_FAIL: 2}

KIND_ORDER_LIST = (
    "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy", "PodDisruptionBudget",
    "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass", "PersistentVolume",
    "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
    "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
    "ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job",
    "CronJob", "IngressClass", "Ingress", "APIService",
)  # fmt: skip
#: known kinds sort before 0; unknown kinds (custom resources) get 0, i.e. last.
KIND_ORDER = {kind: i - len(KIND_ORDER_LIST) for i, kind in enumerate(KIND_ORDER_LIST)}


@dataclass
class SyncTask:
    """One thing to do: apply ``target`` (live may be None: create), or prune ``live``."""

    phase: str
    target: dict[str, Any] | None
    live: dict[str, Any] | None
    wave_override: int | None = None
    options: dict[str, str] = field(default_factory=dict)  # per-resource sync options

    @property
    def obj(self) -> dict[str, Any]:
        return self.target if self.target is not None else self.live  # type: ignore[return-value]

    @property
    def key(self) -> ResourceKey:
        return key_of(self.obj)

    @property
    def wave(self) -> int:
        return self.wave_override if self.wave_override is not None else ann.wave(self.obj)

    @property
    def is_prune(self) -> bool:
        return self.target is None

    @property
    def is_hook(self) -> bool:
        return ann.is_hook(self.obj)

    @property
    def delete_policies(self) -> list[str]:
        return ann.delete_policies(self.obj) if self.is_hook else []

    def sort_key(self) -> tuple[int, int, int, str]:
        obj = self.obj
        return (
            PHASE_ORDER.get(self.phase, 0),
            self.wave,
            KIND_ORDER.get(obj.get("kind", ""), 0),
            (obj.get("metadata") or {}).get("name", ""),
        )

    def __str__(self) -> str:
        what = "prune" if self.is_prune else ("hook" if self.is_hook else "apply")
        return f"{self.phase}/{self.wave} {what} {self.key}"


def _is_crd(obj: dict[str, Any]) -> bool:
    return obj.get("kind") == "CustomResourceDefinition" and str(obj.get("apiVersion", "")).startswith(
        "apiextensions.k8s.io/"
    )


def _move_dependencies(tasks: list[SyncTask], dep_key, ref_key) -> None:
    """Move each dependency (e.g. a Namespace) before the first task referring to it."""
    first_ref: dict[str, int] = {}
    i = 0
    while i < len(tasks):
        t = tasks[i]
        if t.target is not None:
            dk = dep_key(t.target)
            if dk is not None:
                if dk in first_ref:
                    index = first_ref[dk]
                    t.wave_override = tasks[index].wave
                    t.phase = tasks[index].phase
                    tasks.insert(index, tasks.pop(i))
                    for k, v in first_ref.items():
                        if v >= index:
                            first_ref[k] = v + 1
            else:
                rk = ref_key(t.target)
                if rk is not None and rk not in first_ref:
                    first_ref[rk] = i
        i += 1


def sort_tasks(tasks: list[SyncTask]) -> list[SyncTask]:
    tasks.sort(key=SyncTask.sort_key)
    _move_dependencies(
        tasks,
        lambda o: (
            o["metadata"]["name"] if o.get("kind") == "Namespace" and o.get("apiVersion") == "v1" else None
        ),
        lambda o: (o.get("metadata") or {}).get("namespace") or None,
    )

    def crd_key(o: dict[str, Any]) -> str | None:
        if not _is_crd(o):
            return None
        spec = o.get("spec") or {}
        kind = (spec.get("names") or {}).get("kind")
        return f"{spec.get('group')}/{kind}" if spec.get("group") and kind else None

    _move_dependencies(tasks, crd_key, lambda o: "/".join(key_of(o)[:2]))
    return tasks


def plan(
    targets: Iterable[dict[str, Any]],
    live: dict[ResourceKey, dict[str, Any]],
    *,
    app_options: dict[str, str] | None = None,
    selected: set[ResourceKey] | None = None,
    out_of_sync: set[ResourceKey] | None = None,
) -> list[SyncTask]:
    """All tasks of a sync, ordered. ``live`` holds the app's managed live objects by key.

    * hooks become one task per hook phase (not run in a selective sync);
    * other targets become Sync-phase apply tasks (only out-of-sync ones with
      ``ApplyOutOfSyncOnly=true``);
    * live objects with no target become prune tasks (whether they are actually deleted
      depends on ``--prune`` and ``Prune=false``; the executor decides and reports).
    """
    app_options = app_options or {}
    tasks: list[SyncTask] = []
    target_keys: set[ResourceKey] = set()
    only_out_of_sync = app_options.get("ApplyOutOfSyncOnly") == "true"
    for obj in targets:
        if ann.is_skipped(obj):
            continue
        key = key_of(obj)
        options = {**app_options, **ann.sync_options(obj)}
        if ann.is_hook(obj):
            if selected is not None:
                continue
            for phase in ann.hook_types(obj):
                if phase in PHASE_ORDER:
                    tasks.append(SyncTask(phase, obj, None, options=options))
            continue
        target_keys.add(key)
        if selected is not None and key not in selected:
            continue
        if only_out_of_sync and out_of_sync is not None and key not in out_of_sync and key in live:
            continue
        tasks.append(SyncTask(ann.SYNC, obj, live.get(key), options=options))
    for key, obj in live.items():
        if key in target_keys or ann.is_hook(obj):
            continue
        if selected is not None and key not in selected:
            continue
        tasks.append(SyncTask(ann.SYNC, None, obj, options={**app_options, **ann.sync_options(obj)}))

    sort_tasks(tasks)
    _mirror_prune_waves(tasks)
    _prune_last(tasks, app_options)
    tasks.sort(key=SyncTask.sort_key)
    return tasks


def _mirror_prune_waves(tasks: list[SyncTask]) -> None:
    prunes = [t for t in tasks if t.is_prune and t.phase == ann.SYNC]
    waves = sorted({t.wave for t in prunes})
    mirror = dict(zip(waves, reversed(waves), strict=True))
    for t in prunes:
        t.wave_override = mirror[t.wave]


def _prune_last(tasks: list[SyncTask], app_options: dict[str, str]) -> None:
    sync_tasks = [t for t in tasks if t.phase == ann.SYNC]
    last = [t for t in sync_tasks if t.is_prune and t.options.get("PruneLast") == "true"]
    if not last:
        return
    others = [t.wave for t in sync_tasks if t not in last]
    final = (max(others) if others else 0) + 1
    for t in last:
        t.wave_override = final
