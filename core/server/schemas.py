"""JSON schemas of request and response bodies (OpenAPI 3.1 ``components.schemas``).

Field names follow Argo CD's API (its swagger). Request bodies are validated against these
schemas before a handler runs (unknown fields are refused); responses are documented by them.
Kubernetes objects (Applications, AppProjects, Events) are described at the top level; their
``spec`` is checked by :mod:`kedge.model`.
"""

from __future__ import annotations

from typing import Any

STR = {"type": "string"}
BOOL = {"type": "boolean"}
INT = {"type": "integer"}
OBJ = {"type": "object"}
STR_LIST = {"type": "array", "items": STR}
STR_MAP = {"type": "object", "additionalProperties": STR}
#: int64 values travel as strings in Argo CD's JSON (protobuf mapping); accept both
INT64 = {"type": ["string", "integer"], "pattern": "^-?[0-9]{1,18}$"}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(props: dict[str, Any], required: tuple[str, ...] = (), closed: bool = True) -> dict[str, Any]:
    s: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        s["required"] = list(required)
    if closed:
        s["additionalProperties"] = False
    return s


def list_of(item: str) -> dict[str, Any]:
    return obj(
        {"metadata": ref("ListMeta"), "items": {"type": ["array", "null"], "items": ref(item)}}, closed=False
    )


OBJECT_META = obj(
    {
        "name": STR,
        "namespace": STR,
        "labels": STR_MAP,
        "annotations": STR_MAP,
        "finalizers": STR_LIST,
        "resourceVersion": STR,
        "uid": STR,
        "generation": INT,
        "creationTimestamp": STR,
        "deletionTimestamp": STR,
        "managedFields": {"type": "array"},
        "ownerReferences": {"type": "array"},
        "generateName": STR,
    },
    closed=False,
)

RESOURCE_REF = obj({"group": STR, "kind": STR, "name": STR, "namespace": STR}, closed=False)

SCHEMAS: dict[str, Any] = {
    "Error": obj({"error": STR, "code": INT, "message": STR}, ("message",), closed=False),
    "ListMeta": obj({"resourceVersion": STR, "continue": STR, "remainingItemCount": INT}, closed=False),
    "ObjectMeta": OBJECT_META,
    "Empty": obj({}, closed=False),
    # -- applications ------------------------------------------------------------------------
    "Application": obj(
        {
            "apiVersion": STR,
            "kind": STR,
            "metadata": ref("ObjectMeta"),
            "spec": OBJ,
            "status": OBJ,
            "operation": OBJ,
        },
        ("metadata", "spec"),
    ),
    "ApplicationSpec": {"type": "object"},
    "ApplicationList": list_of("Application"),
    "ApplicationPatchRequest": obj(
        {
            "name": STR,
            "patch": STR,
            "patchType": {"type": "string", "enum": ["json", "merge"]},
            "appNamespace": STR,
            "project": STR,
        },
        ("patch",),
    ),
    "SyncOperationResource": obj(
        {"group": STR, "kind": STR, "name": STR, "namespace": STR}, ("kind", "name")
    ),
    "SyncStrategy": obj(
        {
            "apply": obj({"force": BOOL}),
            "hook": obj({"force": BOOL}),
        }
    ),
    "ApplicationSyncRequest": obj(
        {
            "name": STR,
            "revision": STR,
            "revisions": STR_LIST,
            "sourcePositions": {"type": "array", "items": INT64},
            "dryRun": BOOL,
            "prune": BOOL,
            "strategy": ref("SyncStrategy"),
            "resources": {"type": "array", "items": ref("SyncOperationResource")},
            "manifests": STR_LIST,
            "infos": {"type": "array", "items": obj({"name": STR, "value": STR})},
            "retryStrategy": obj(
                {
                    "limit": INT64,
                    "backoff": obj({"duration": STR, "factor": INT64, "maxDuration": STR}),
                }
            ),
            "syncOptions": obj({"items": STR_LIST}),
            "appNamespace": STR,
            "project": STR,
        }
    ),
    "ApplicationRollbackRequest": obj(
        {"name": STR, "id": INT64, "dryRun": BOOL, "prune": BOOL, "appNamespace": STR, "project": STR},
        ("id",),
    ),
    "ManifestResponse": obj(
        {
            "manifests": STR_LIST,
            "namespace": STR,
            "server": STR,
            "revision": STR,
            "sourceType": STR,
        },
        closed=False,
    ),
    "ResourceDiff": obj(
        {
            "group": STR,
            "kind": STR,
            "namespace": STR,
            "name": STR,
            "targetState": STR,
            "liveState": STR,
            "normalizedLiveState": STR,
            "predictedLiveState": STR,
            "diff": STR,
            "hook": BOOL,
            "modified": BOOL,
            "resourceVersion": STR,
        },
        closed=False,
    ),
    "ManagedResourcesResponse": obj({"items": {"type": "array", "items": ref("ResourceDiff")}}, closed=False),
    "ResourceNode": obj(
        {
            "group": STR,
            "kind": STR,
            "namespace": STR,
            "name": STR,
            "uid": STR,
            "version": STR,
            "parentRefs": {"type": "array", "items": RESOURCE_REF},
            "health": obj({"status": STR, "message": STR}, closed=False),
            "images": STR_LIST,
            "resourceVersion": STR,
            "createdAt": STR,
        },
        closed=False,
    ),
    "ApplicationTree": obj(
        {
            "nodes": {"type": "array", "items": ref("ResourceNode")},
            "orphanedNodes": {"type": "array", "items": ref("ResourceNode")},
            "hosts": {"type": "array"},
        },
        closed=False,
    ),
    "ApplicationResourceResponse": obj({"manifest": STR}, closed=False),
    "ResourcePatch": {"type": "string", "description": "the patch document, as a JSON string"},
    "ResourceAction": obj(
        {
            "name": STR,
            "disabled": BOOL,
            "iconClass": STR,
            "displayName": STR,
            "params": {
                "type": "array",
                "items": obj({"name": STR, "value": STR, "type": STR, "default": STR}),
            },
        },
        closed=False,
    ),
    "ResourceActionsListResponse": obj(
        {"actions": {"type": "array", "items": ref("ResourceAction")}}, closed=False
    ),
    "ResourceActionRunRequest": {
        "oneOf": [
            {"type": "string", "minLength": 1, "description": "the action name (Argo CD's v1 request)"},
            obj(
                {
                    "action": {"type": "string", "minLength": 1},
                    "resourceActionParameters": {
                        "type": "array",
                        "items": obj({"name": STR, "value": STR}, ("name",)),
                    },
                    "name": STR,
                    "namespace": STR,
                    "resourceName": STR,
                    "version": STR,
                    "group": STR,
                    "kind": STR,
                    "appNamespace": STR,
                    "project": STR,
                },
                ("action",),
            ),
        ]
    },
    "EventList": obj({"metadata": ref("ListMeta"), "items": {"type": "array", "items": OBJ}}, closed=False),
    "RevisionMetadata": obj(
        {"author": STR, "date": STR, "tags": STR_LIST, "message": STR, "signatureInfo": STR}, closed=False
    ),
    "ApplicationWatchEvent": obj(
        {
            "result": obj(
                {
                    "type": {"type": "string", "enum": ["ADDED", "MODIFIED", "DELETED"]},
                    "application": ref("Application"),
                }
            )
        }
    ),
    "ApplicationSet": obj(
        {"apiVersion": STR, "kind": STR, "metadata": ref("ObjectMeta"), "spec": OBJ, "status": OBJ},
        ("metadata", "spec"),
    ),
    "ApplicationSetList": list_of("ApplicationSet"),
    "SyncWindow": obj(
        {
            "kind": STR,
            "schedule": STR,
            "duration": STR,
            "applications": STR_LIST,
            "namespaces": STR_LIST,
            "clusters": STR_LIST,
            "manualSync": BOOL,
            "timeZone": STR,
            "andOperator": BOOL,
            "syncOverrun": BOOL,
        },
        closed=False,
    ),
    "ApplicationSyncWindowsResponse": obj(
        {
            "activeWindows": {"type": "array", "items": ref("SyncWindow")},
            "assignedWindows": {"type": "array", "items": ref("SyncWindow")},
            "canSync": BOOL,
        }
    ),
    "SyncWindowsResponse": obj({"windows": {"type": "array", "items": ref("SyncWindow")}}),
    # -- projects ---------------------------------------------------------------------------
    "AppProject": obj(
        {"apiVersion": STR, "kind": STR, "metadata": ref("ObjectMeta"), "spec": OBJ, "status": OBJ},
        ("metadata",),
    ),
    "AppProjectList": list_of("AppProject"),
    "ProjectCreateRequest": obj({"project": ref("AppProject"), "upsert": BOOL}, ("project",)),
    "ProjectUpdateRequest": obj({"project": ref("AppProject")}, ("project",)),
    "ProjectTokenCreateRequest": obj(
        {"project": STR, "role": STR, "description": STR, "expiresIn": INT64, "id": STR}
    ),
    "ProjectTokenResponse": obj({"token": STR}),
    # -- repositories -----------------------------------------------------------------------
    "Repository": obj(
        {
            "repo": STR,
            "type": {"type": "string", "enum": ["git", "helm", "oci"]},
            "name": STR,
            "project": STR,
            "username": STR,
            "password": STR,
            "sshPrivateKey": STR,
            "insecure": BOOL,
            "insecureIgnoreHostKey": BOOL,
            "enableLfs": BOOL,
            "enableOCI": BOOL,
            "tlsClientCertData": STR,
            "tlsClientCertKey": STR,
            "githubAppPrivateKey": STR,
            "githubAppID": INT64,
            "githubAppInstallationID": INT64,
            "githubAppEnterpriseBaseUrl": STR,
            "proxy": STR,
            "noProxy": STR,
            "forceHttpBasicAuth": BOOL,
            "bearerToken": STR,
            "gcpServiceAccountKey": STR,
            "inheritedCreds": BOOL,
            "connectionState": obj({"status": STR, "message": STR, "attemptedAt": STR}, closed=False),
        },
        ("repo",),
    ),
    "RepositoryList": list_of("Repository"),
    "Refs": obj({"branches": STR_LIST, "tags": STR_LIST}),
    "RepoCreds": obj(
        {
            "url": STR,
            "type": {"type": "string", "enum": ["git", "helm", "oci"]},
            "username": STR,
            "password": STR,
            "sshPrivateKey": STR,
            "tlsClientCertData": STR,
            "tlsClientCertKey": STR,
            "githubAppPrivateKey": STR,
            "githubAppID": INT64,
            "githubAppInstallationID": INT64,
            "githubAppEnterpriseBaseUrl": STR,
            "enableOCI": BOOL,
            "proxy": STR,
            "noProxy": STR,
            "forceHttpBasicAuth": BOOL,
            "bearerToken": STR,
            "gcpServiceAccountKey": STR,
        },
        ("url",),
    ),
    "RepoCredsList": list_of("RepoCreds"),
    # -- clusters ---------------------------------------------------------------------------
    "ClusterConfig": obj(
        {
            "username": STR,
            "password": STR,
            "bearerToken": STR,
            "tlsClientConfig": obj(
                {"insecure": BOOL, "serverName": STR, "caData": STR, "certData": STR, "keyData": STR}
            ),
            "awsAuthConfig": OBJ,
            "execProviderConfig": OBJ,
        },
        closed=False,
    ),
    "Cluster": obj(
        {
            "server": STR,
            "name": STR,
            "config": ref("ClusterConfig"),
            "namespaces": STR_LIST,
            "clusterResources": BOOL,
            "project": STR,
            "shard": INT64,
            "labels": STR_MAP,
            "annotations": STR_MAP,
            "connectionState": obj({"status": STR, "message": STR, "attemptedAt": STR}, closed=False),
            "serverVersion": STR,
            "info": OBJ,
        },
        ("server",),
    ),
    "ClusterList": list_of("Cluster"),
    # -- session and accounts ---------------------------------------------------------------
    "SessionCreateRequest": obj({"username": STR, "password": STR, "token": STR}),
    "SessionResponse": obj({"token": STR}),
    "UserInfo": obj({"loggedIn": BOOL, "username": STR, "iss": STR, "groups": STR_LIST}, closed=False),
    "Token": obj({"id": STR, "issuedAt": INT64, "expiresAt": INT64}, closed=False),
    "Account": obj(
        {
            "name": STR,
            "enabled": BOOL,
            "capabilities": STR_LIST,
            "tokens": {"type": "array", "items": ref("Token")},
        },
        closed=False,
    ),
    "AccountsList": obj({"items": {"type": "array", "items": ref("Account")}}, closed=False),
    "CanIResponse": obj({"value": {"type": "string", "enum": ["yes", "no"]}}),
    "UpdatePasswordRequest": obj(
        {"newPassword": {"type": "string", "minLength": 1}, "currentPassword": STR, "name": STR},
        ("newPassword", "currentPassword"),
    ),
    "CreateTokenRequest": obj({"name": STR, "expiresIn": INT64, "id": STR}),
    "CreateTokenResponse": obj({"token": STR}),
    # -- settings and version --------------------------------------------------------------
    "Settings": obj(
        {
            "url": STR,
            "statusBadgeEnabled": BOOL,
            "statusBadgeRootUrl": STR,
            "appLabelKey": STR,
            "trackingMethod": STR,
            "execEnabled": BOOL,
            "userLoginsDisabled": BOOL,
            "controllerNamespace": STR,
            "installationID": STR,
            "oidcConfig": OBJ,
            "passwordPattern": STR,
            "appsInAnyNamespaceEnabled": BOOL,
            "resourceOverrides": OBJ,
            "help": OBJ,
        },
        closed=False,
    ),
    "VersionMessage": obj(
        {
            "Version": STR,
            "BuildDate": STR,
            "GitCommit": STR,
            "GitTag": STR,
            "GitTreeState": STR,
            "GoVersion": STR,
            "Compiler": STR,
            "Platform": STR,
        },
        closed=False,
    ),
    "WebhookResponse": obj({"refreshed": STR_LIST, "event": STR, "message": STR}, closed=False),
}
