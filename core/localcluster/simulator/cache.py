"""The simulator's informer cache: the last seen version of every object it watches, fed by
the store's watch callbacks and by the objects the store returns from the simulator's own
writes (read-your-writes, so a controller never creates a child twice), with indexes by
namespace, by controlling owner, by label, and (for Services) by selector."""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from typing import Any

Obj = dict[str, Any]
Key = tuple[str, str | None, str]  # (resource, namespace, name)

_TOMBSTONES = 20000


def _rv(obj: Obj | None) -> int | None:
    if obj is None:
        return None
    try:
        return int(obj.get("metadata", {}).get("resourceVersion") or "")
    except ValueError:
        return None


class ObjectCache:
    """Thread-safe. Objects handed out are the cached instances: treat them as read-only and
    deep-copy before changing them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._objects: dict[Key, Obj] = {}
        self._by_ns: dict[tuple[str, str | None], dict[str, Obj]] = defaultdict(dict)
        self._by_owner: dict[str, set[Key]] = defaultdict(set)
        self._owner_of: dict[Key, str] = {}
        self._tombstones: OrderedDict[Key, int | None] = OrderedDict()
        # (resource, namespace, label key, label value) -> names carrying that label
        self._by_label: dict[tuple[str, str | None, str, str], set[str]] = defaultdict(set)
        # (resource, namespace, key, value) of one pair of a map selector -> names selecting with it
        self._by_selector: dict[tuple[str, str | None, str, str], set[str]] = defaultdict(set)

    @staticmethod
    def key(resource: str, obj: Obj) -> Key:
        md = obj.get("metadata", {})
        return (resource, md.get("namespace"), md.get("name", ""))

    def apply(self, resource: str, obj: Obj, deleted: bool = False) -> bool:
        """Record a version seen; older versions than the cached one are ignored. Returns True
        when the cache changed."""
        key = self.key(resource, obj)
        new_rv = _rv(obj)
        with self._lock:
            current = self._objects.get(key)
            cur_rv = _rv(current)
            if current is not None and cur_rv is not None and new_rv is not None and new_rv < cur_rv:
                return False
            if current is None and key in self._tombstones:
                dead_rv = self._tombstones[key]
                if dead_rv is not None and new_rv is not None and new_rv <= dead_rv:
                    return False
            if deleted:
                if current is not None and current.get("metadata", {}).get("uid") not in (
                    None,
                    obj.get("metadata", {}).get("uid"),
                ):
                    return False  # a newer object of the same name already replaced it
                self._remove(key)
                self._tombstones[key] = new_rv
                self._tombstones.move_to_end(key)
                while len(self._tombstones) > _TOMBSTONES:
                    self._tombstones.popitem(last=False)
                return current is not None
            self._tombstones.pop(key, None)
            self._remove(key)
            self._objects[key] = obj
            self._by_ns[(resource, key[1])][key[2]] = obj
            for lk, lv in (obj.get("metadata", {}).get("labels") or {}).items():
                self._by_label[(resource, key[1], lk, str(lv))].add(key[2])
            pair = _selector_pair(resource, obj)
            if pair is not None:
                self._by_selector[(resource, key[1], *pair)].add(key[2])
            owner = _controller_uid(obj)
            if owner:
                self._by_owner[owner].add(key)
                self._owner_of[key] = owner
            return True

    def forget(self, resource: str, namespace: str | None, name: str) -> None:
        with self._lock:
            self._remove((resource, namespace, name))

    def _remove(self, key: Key) -> None:
        old = self._objects.pop(key, None)
        if old is None:
            return
        for lk, lv in (old.get("metadata", {}).get("labels") or {}).items():
            _discard(self._by_label, (key[0], key[1], lk, str(lv)), key[2])
        pair = _selector_pair(key[0], old)
        if pair is not None:
            _discard(self._by_selector, (key[0], key[1], *pair), key[2])
        bucket = self._by_ns.get((key[0], key[1]))
        if bucket is not None:
            bucket.pop(key[2], None)
            if not bucket:
                del self._by_ns[(key[0], key[1])]
        owner = self._owner_of.pop(key, None)
        if owner:
            keys = self._by_owner.get(owner)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_owner[owner]

    def get(self, resource: str, namespace: str | None, name: str) -> Obj | None:
        with self._lock:
            return self._objects.get((resource, namespace, name))

    def list(self, resource: str, namespace: str | None = None) -> list[Obj]:
        """Objects of a resource, in one namespace (or cluster-scoped when the resource is),
        or across all namespaces when ``namespace`` is ``"*"``."""
        with self._lock:
            if namespace == "*":
                return [o for (r, _), bucket in self._by_ns.items() if r == resource for o in bucket.values()]
            return list(self._by_ns.get((resource, namespace), {}).values())

    def labelled(self, resource: str, namespace: str | None, selector: dict[str, str]) -> list[Obj]:
        """Objects of ``resource`` in ``namespace`` carrying every label of ``selector`` (a
        Service-style map; empty selects nothing). Through the label index, not a scan."""
        if not selector:
            return []
        with self._lock:
            sets = [self._by_label.get((resource, namespace, k, str(v)), set()) for k, v in selector.items()]
            names = set.intersection(*sorted(sets, key=len))
            bucket = self._by_ns.get((resource, namespace), {})
            return [bucket[n] for n in names if n in bucket]

    def selecting(self, resource: str, namespace: str | None, labels: dict[str, str]) -> list[Obj]:
        """Objects of ``resource`` (with a map ``spec.selector``, e.g. Services) in ``namespace``
        whose selector matches ``labels``."""
        out: list[Obj] = []
        with self._lock:
            bucket = self._by_ns.get((resource, namespace), {})
            seen: set[str] = set()
            for k, v in labels.items():
                for n in self._by_selector.get((resource, namespace, k, str(v)), ()):
                    if n in seen or n not in bucket:
                        continue
                    seen.add(n)
                    selector = (bucket[n].get("spec") or {}).get("selector") or {}
                    if selector and all(labels.get(sk) == sv for sk, sv in selector.items()):
                        out.append(bucket[n])
        return out

    def owned(self, owner_uid: str, resource: str | None = None) -> list[Obj]:
        """Objects whose controlling ownerReference points at ``owner_uid``."""
        with self._lock:
            keys = self._by_owner.get(owner_uid, ())
            return [self._objects[k] for k in keys if (resource is None or k[0] == resource)]

    def __len__(self) -> int:
        with self._lock:
            return len(self._objects)


def _selector_pair(resource: str, obj: Obj) -> tuple[str, str] | None:
    """The first (sorted) pair of a Service's map selector: its entry in the selector index."""
    if not resource.endswith("/services"):
        return None
    selector = (obj.get("spec") or {}).get("selector")
    if not isinstance(selector, dict) or not selector:
        return None
    k = min(selector)
    return k, str(selector[k])


def _discard(index: dict[Any, set[str]], key: Any, name: str) -> None:
    names = index.get(key)
    if names is not None:
        names.discard(name)
        if not names:
            del index[key]


def _controller_uid(obj: Obj) -> str | None:
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref.get("uid")
    return None
