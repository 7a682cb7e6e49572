"""Resource model: parsing, round trips with unknown fields, and exact validation messages."""

from __future__ import annotations

import copy
import json

import pytest

from kedge import model

GUESTBOOK = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Application",
    "metadata": {
        "name": "guestbook",
        "namespace": "argocd",
        "finalizers": ["resources-finalizer.argocd.argoproj.io"],
    },
    "spec": {
        "project": "default",
        "source": {
            "repoURL": "https://github.com/argoproj/argocd-example-apps.git",
            "targetRevision": "HEAD",
            "path": "guestbook",
        },
        "destination": {"server": "https://kubernetes.default.svc", "namespace": "guestbook"},
        "syncPolicy": {
            "automated": {"prune": True, "selfHeal": True, "allowEmpty": False},
            "syncOptions": ["CreateNamespace=true", "ServerSideApply=true"],
            "retry": {"limit": 5, "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"}},
            "managedNamespaceMetadata": {"labels": {"team": "web"}, "annotations": {"a": "b"}},
        },
        "ignoreDifferences": [
            {"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]},
            {
                "kind": "ConfigMap",
                "jqPathExpressions": [".data.x"],
                "managedFieldsManagers": ["kube-controller-manager"],
            },
        ],
        "revisionHistoryLimit": 10,
        "info": [{"name": "url", "value": "https://example.com"}],
    },
}

PROJECT = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "AppProject",
    "metadata": {"name": "team-a", "namespace": "argocd"},
    "spec": {
        "description": "Team A",
        "sourceRepos": ["https://github.com/team-a/*"],
        "sourceNamespaces": ["team-a-apps"],
        "destinations": [
            {"server": "https://kubernetes.default.svc", "namespace": "team-a-*"},
            {"name": "prod", "namespace": "*"},
        ],
        "clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}],
        "namespaceResourceBlacklist": [{"group": "", "kind": "ResourceQuota"}],
        "roles": [
            {
                "name": "ci",
                "description": "CI pipeline",
                "policies": ["p, proj:team-a:ci, applications, sync, team-a/*, allow"],
                "groups": ["team-a-admins"],
                "jwtTokens": [{"iat": 1700000000, "id": "abc"}],
            }
        ],
        "syncWindows": [
            {
                "kind": "deny",
                "schedule": "0 22 * * *",
                "duration": "8h",
                "applications": ["*"],
                "manualSync": True,
                "timeZone": "Europe/Paris",
            }
        ],
        "orphanedResources": {
            "warn": True,
            "ignore": [{"group": "", "kind": "ConfigMap", "name": "kube-root-ca.crt"}],
        },
        "signatureKeys": [{"keyID": "4AEE18F83AFDEB23"}],
    },
}

APPSET = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "ApplicationSet",
    "metadata": {"name": "guestbook", "namespace": "argocd"},
    "spec": {
        "goTemplate": True,
        "goTemplateOptions": ["missingkey=error"],
        "generators": [{"list": {"elements": [{"cluster": "engineering-dev", "url": "https://1.2.3.4"}]}}],
        "template": {
            "metadata": {"name": "{{.cluster}}-guestbook"},
            "spec": {
                "project": "my-project",
                "source": {
                    "repoURL": "https://github.com/argoproj/argo-cd.git",
                    "targetRevision": "HEAD",
                    "path": "x",
                },
                "destination": {"server": "{{.url}}", "namespace": "guestbook"},
            },
        },
        "strategy": {
            "type": "RollingSync",
            "rollingSync": {
                "steps": [
                    {"matchExpressions": [{"key": "envLabel", "operator": "In", "values": ["env-dev"]}]},
                    {
                        "matchExpressions": [{"key": "envLabel", "operator": "In", "values": ["env-prod"]}],
                        "maxUpdate": "10%",
                    },
                ]
            },
        },
        "syncPolicy": {"preserveResourcesOnDeletion": True, "applicationsSync": "create-update"},
    },
}


def with_changes(base: dict, path: str, value, delete: bool = False) -> dict:
    doc = copy.deepcopy(base)
    parts = path.split(".")
    cur = doc
    for p in parts[:-1]:
        cur = cur[int(p)] if isinstance(cur, list) else cur[p]
    last = parts[-1]
    if delete:
        del cur[last]
    elif isinstance(cur, list):
        cur[int(last)] = value
    else:
        cur[last] = value
    return doc


def test_valid_documents_parse_into_typed_models():
    app = model.parse_application(GUESTBOOK, "guestbook.yaml")
    assert app.spec.source.repo_url.endswith("argocd-example-apps.git")
    assert app.spec.sync_policy.retry.backoff.max_duration == "3m"
    assert app.spec.sync_policy.automated.self_heal is True
    proj = model.parse_appproject(PROJECT, "team-a.yaml")
    assert proj.spec.roles[0].jwt_tokens[0].iat == 1700000000
    assert proj.spec.signature_keys[0].key_id == "4AEE18F83AFDEB23"
    appset = model.parse_applicationset(APPSET, "appset.yaml")
    assert appset.spec.strategy.rolling_sync.steps[1].max_update == "10%"
    assert appset.spec.generators[0]["list"]["elements"][0]["cluster"] == "engineering-dev"


@pytest.mark.parametrize("doc", [GUESTBOOK, PROJECT, APPSET], ids=["app", "project", "appset"])
def test_round_trip_is_lossless_including_unknown_fields(doc):
    doc = copy.deepcopy(doc)
    doc["spec"]["futureField"] = {"nested": [1, "two", {"three": None}]}
    doc["metadata"]["labels"] = {"app.kubernetes.io/name": "x"}
    doc["extraTopLevel"] = "kept"
    obj = model.parse(doc, "x.yaml")
    assert model.to_dict(obj) == doc
    assert json.loads(obj.model_dump_json(by_alias=True, exclude_unset=True)) == doc


def test_round_trip_of_status_shapes():
    doc = copy.deepcopy(GUESTBOOK)
    doc["status"] = {
        "sync": {
            "status": "Synced",
            "revision": "abc123",
            "comparedTo": {"source": doc["spec"]["source"], "destination": doc["spec"]["destination"]},
        },
        "health": {"status": "Healthy", "lastTransitionTime": "2024-05-01T10:00:00Z"},
        "operationState": {
            "operation": {
                "sync": {"revision": "abc123", "prune": True, "syncOptions": ["CreateNamespace=true"]},
                "initiatedBy": {"automated": True},
                "retry": {"limit": 5},
            },
            "phase": "Succeeded",
            "message": "successfully synced (all tasks run)",
            "startedAt": "2024-05-01T10:00:00Z",
            "finishedAt": "2024-05-01T10:00:05Z",
            "syncResult": {
                "revision": "abc123",
                "resources": [
                    {
                        "group": "apps",
                        "version": "v1",
                        "kind": "Deployment",
                        "namespace": "guestbook",
                        "name": "guestbook-ui",
                        "status": "Synced",
                        "message": "deployment.apps/guestbook-ui created",
                        "hookPhase": "Running",
                        "syncPhase": "Sync",
                    }
                ],
            },
        },
        "history": [
            {
                "id": 0,
                "revision": "abc123",
                "deployedAt": "2024-05-01T10:00:05Z",
                "deployStartedAt": "2024-05-01T10:00:00Z",
                "source": doc["spec"]["source"],
            }
        ],
        "resources": [
            {
                "group": "apps",
                "version": "v1",
                "kind": "Deployment",
                "namespace": "guestbook",
                "name": "guestbook-ui",
                "status": "Synced",
                "health": {"status": "Healthy"},
                "syncWave": -1,
            }
        ],
        "conditions": [
            {"type": "SyncError", "message": "boom", "lastTransitionTime": "2024-05-01T10:00:00Z"}
        ],
        "summary": {
            "externalURLs": ["https://guestbook.example.com"],
            "images": ["gcr.io/heptio-images/ks-guestbook-demo:0.2"],
        },
        "reconciledAt": "2024-05-01T10:00:06Z",
        "sourceType": "Directory",
        "controllerNamespace": "argocd",
    }
    app = model.parse_application(doc)
    assert app.status.operation_state.sync_result.resources[0].hook_phase == "Running"
    assert app.status.resources[0].sync_wave == -1
    assert app.status.summary.external_urls == ["https://guestbook.example.com"]
    assert model.to_dict(app) == doc


def test_yaml_timestamps_stay_strings_and_multi_documents_load():
    text = """
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: a, creationTimestamp: 2024-01-01T00:00:00Z}
spec:
  project: default
  source: {repoURL: https://example.com/r.git, path: a}
  destination: {name: in-cluster, namespace: a}
---
---
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: p}
spec: {sourceRepos: ['*'], destinations: [{server: '*', namespace: '*'}]}
"""
    objs = model.load_documents(text, "apps.yaml")
    assert [type(o).__name__ for o in objs] == ["Application", "AppProject"]
    assert objs[0].metadata.creation_timestamp == "2024-01-01T00:00:00Z"


MALFORMED = [
    # (base, path, value, delete, expected messages)
    (
        GUESTBOOK,
        "spec.syncPolicy.retry.limit",
        "five",
        False,
        ['guestbook.yaml: spec.syncPolicy.retry.limit: expected integer, got "five"'],
    ),
    (
        GUESTBOOK,
        "spec.syncPolicy.retry.backoff.duration",
        "5 seconds",
        False,
        [
            'guestbook.yaml: spec.syncPolicy.retry.backoff.duration: expected a duration such as "5s" or "3m", got "5 seconds"'
        ],
    ),
    (
        GUESTBOOK,
        "spec.syncPolicy.retry.backoff.factor",
        "2",
        False,
        ['guestbook.yaml: spec.syncPolicy.retry.backoff.factor: expected integer, got "2"'],
    ),
    (
        GUESTBOOK,
        "spec.destination",
        {"server": "https://kubernetes.default.svc", "name": "in-cluster", "namespace": "x"},
        False,
        ["guestbook.yaml: spec.destination: expected server or name, not both"],
    ),
    (
        GUESTBOOK,
        "spec.destination",
        {"namespace": "x"},
        False,
        ["guestbook.yaml: spec.destination: expected server or name, got neither"],
    ),
    (
        GUESTBOOK,
        "spec.source.repoURL",
        None,
        True,
        ["guestbook.yaml: spec.source.repoURL: required field is missing"],
    ),
    (
        GUESTBOOK,
        "spec.sources",
        [{"repoURL": "https://example.com/a.git", "path": "a"}],
        False,
        ["guestbook.yaml: spec: expected either source or sources, not both"],
    ),
    (GUESTBOOK, "spec.project", None, True, ["guestbook.yaml: spec.project: required field is missing"]),
    (
        GUESTBOOK,
        "spec.project",
        "Team A",
        False,
        ['guestbook.yaml: spec.project: expected an AppProject name (a DNS-1123 subdomain), got "Team A"'],
    ),
    (
        GUESTBOOK,
        "spec.syncPolicy.automated.prune",
        "yes",
        False,
        ['guestbook.yaml: spec.syncPolicy.automated.prune: expected boolean, got "yes"'],
    ),
    (
        GUESTBOOK,
        "spec.syncPolicy.syncOptions",
        "CreateNamespace=true",
        False,
        ['guestbook.yaml: spec.syncPolicy.syncOptions: expected list, got "CreateNamespace=true"'],
    ),
    (
        GUESTBOOK,
        "spec.syncPolicy.syncOptions.1",
        "ServerSideApply",
        False,
        ['guestbook.yaml: spec.syncPolicy.syncOptions[1]: expected "Name=value", got "ServerSideApply"'],
    ),
    (
        GUESTBOOK,
        "spec.revisionHistoryLimit",
        1.5,
        False,
        ["guestbook.yaml: spec.revisionHistoryLimit: expected integer, got 1.5"],
    ),
    (
        GUESTBOOK,
        "spec.ignoreDifferences.0.kind",
        None,
        True,
        ["guestbook.yaml: spec.ignoreDifferences[0].kind: required field is missing"],
    ),
    (
        GUESTBOOK,
        "spec.syncPolicy.managedNamespaceMetadata.labels",
        {"team": 7},
        False,
        ["guestbook.yaml: spec.syncPolicy.managedNamespaceMetadata.labels.team: expected string, got 7"],
    ),
    (
        GUESTBOOK,
        "metadata.name",
        "Guest_Book",
        False,
        [
            "guestbook.yaml: metadata.name: expected a DNS-1123 subdomain (Application names use lowercase letters, "
            "digits, '-' and '.'), got \"Guest_Book\""
        ],
    ),
    (GUESTBOOK, "spec.source.helm", {"valueFiles": ["values.yaml"]}, False, []),
    (GUESTBOOK, "spec.source.kustomize", {"namePrefix": "p-"}, False, []),
    (
        GUESTBOOK,
        "apiVersion",
        "argoproj.io/v1",
        False,
        ['guestbook.yaml: apiVersion: expected "argoproj.io/v1alpha1", got "argoproj.io/v1"'],
    ),
    (
        GUESTBOOK,
        "spec.source",
        ["not", "an", "object"],
        False,
        ["guestbook.yaml: spec.source: expected object, got a list"],
    ),
    (
        PROJECT,
        "metadata.name",
        "Team A",
        False,
        [
            "team-a.yaml: metadata.name: expected a DNS-1123 subdomain (AppProject names use lowercase letters, "
            "digits, '-' and '.'), got \"Team A\""
        ],
    ),
    (
        PROJECT,
        "spec.syncWindows.0.kind",
        "block",
        False,
        ['team-a.yaml: spec.syncWindows[0].kind: expected "allow" or "deny", got "block"'],
    ),
    (
        PROJECT,
        "spec.syncWindows.0.schedule",
        "every night",
        False,
        [
            'team-a.yaml: spec.syncWindows[0].schedule: expected a cron schedule such as "0 22 * * *", got "every night"'
        ],
    ),
    (
        PROJECT,
        "spec.syncWindows.0.duration",
        "8 hours",
        False,
        [
            'team-a.yaml: spec.syncWindows[0].duration: expected a duration such as "1h" or "30m", got "8 hours"'
        ],
    ),
    (
        PROJECT,
        "spec.syncWindows.0.timeZone",
        "Mars/Olympus",
        False,
        [
            'team-a.yaml: spec.syncWindows[0].timeZone: expected an IANA time zone such as "Europe/Paris", got "Mars/Olympus"'
        ],
    ),
    (
        PROJECT,
        "spec.syncWindows.0.applications",
        None,
        True,
        ["team-a.yaml: spec.syncWindows[0]: expected at least one of applications, namespaces or clusters"],
    ),
    (
        PROJECT,
        "spec.destinations.1",
        {"namespace": "x"},
        False,
        ["team-a.yaml: spec.destinations[1]: expected server or name, got neither"],
    ),
    (
        PROJECT,
        "spec.roles.0.policies.0",
        "p, proj:team-b:ci, applications, sync, team-b/*, allow",
        False,
        [
            'team-a.yaml: spec.roles[0].policies[0]: expected the subject "proj:team-a:ci", got "proj:team-b:ci"',
            'team-a.yaml: spec.roles[0].policies[0]: expected an object in project "team-a" ("team-a/<app>"), got "team-b/*"',
        ],
    ),
    (
        PROJECT,
        "spec.roles.0.policies.0",
        "p, proj:team-a:ci, applications, sync",
        False,
        [
            'team-a.yaml: spec.roles[0].policies[0]: expected "p, proj:team-a:ci, <resource>, <action>, <object>, '
            'allow|deny", got "p, proj:team-a:ci, applications, sync"'
        ],
    ),
    (
        PROJECT,
        "spec.roles.0.name",
        "ci pipeline",
        False,
        [
            "team-a.yaml: spec.roles[0].name: expected letters, digits, '-' and '_' (starting and ending alphanumeric), "
            'got "ci pipeline"'
        ],
    ),
    (
        PROJECT,
        "spec.roles.0.jwtTokens.0.iat",
        "yesterday",
        False,
        ['team-a.yaml: spec.roles[0].jwtTokens[0].iat: expected integer, got "yesterday"'],
    ),
    (
        PROJECT,
        "spec.sourceRepos",
        "https://github.com/team-a/*",
        False,
        ['team-a.yaml: spec.sourceRepos: expected list, got "https://github.com/team-a/*"'],
    ),
    (
        PROJECT,
        "spec.clusterResourceWhitelist.0",
        {"kind": "Namespace"},
        False,
        ["team-a.yaml: spec.clusterResourceWhitelist[0].group: required field is missing"],
    ),
    (
        PROJECT,
        "spec.orphanedResources.warn",
        "true",
        False,
        ['team-a.yaml: spec.orphanedResources.warn: expected boolean, got "true"'],
    ),
    (
        PROJECT,
        "spec.signatureKeys.0.keyID",
        "not-a-key",
        False,
        [
            'team-a.yaml: spec.signatureKeys[0].keyID: expected a 16 or 40 hex digit GnuPG key ID, got "not-a-key"'
        ],
    ),
    (APPSET, "spec.generators", [], False, ["appset.yaml: spec.generators: expected at least one generator"]),
    (
        APPSET,
        "spec.generators.0",
        {"list": {"elements": []}, "clusters": {}},
        False,
        ["appset.yaml: spec.generators[0]: expected exactly one generator, got list, clusters"],
    ),
    (
        APPSET,
        "spec.generators.0",
        {"matrix": {"generators": [{"clusters": {}}]}},
        False,
        ["appset.yaml: spec.generators[0].matrix.generators: expected exactly 2 child generators, got 1"],
    ),
    (
        APPSET,
        "spec.generators.0",
        {"merge": {"generators": [{"clusters": {}}, {"list": {}, "git": {}}]}},
        False,
        [
            "appset.yaml: spec.generators[0].merge.mergeKeys: required field is missing",
            "appset.yaml: spec.generators[0].merge.generators[1]: expected exactly one generator, got list, git",
        ],
    ),
    (
        APPSET,
        "spec.strategy.type",
        "Canary",
        False,
        ['appset.yaml: spec.strategy.type: expected "AllAtOnce" or "RollingSync", got "Canary"'],
    ),
    (
        APPSET,
        "spec.syncPolicy.applicationsSync",
        "always",
        False,
        [
            "appset.yaml: spec.syncPolicy.applicationsSync: expected one of create-only, create-update, create-delete, "
            'sync, got "always"'
        ],
    ),
    (
        APPSET,
        "spec.goTemplate",
        "true",
        False,
        ['appset.yaml: spec.goTemplate: expected boolean, got "true"'],
    ),
    (
        APPSET,
        "spec.strategy.rollingSync.steps.1.maxUpdate",
        True,
        False,
        ["appset.yaml: spec.strategy.rollingSync.steps[1].maxUpdate: expected integer or string, got true"],
    ),
]

FILES = {id(GUESTBOOK): "guestbook.yaml", id(PROJECT): "team-a.yaml", id(APPSET): "appset.yaml"}


@pytest.mark.parametrize(
    "base,path,value,delete,expected", MALFORMED, ids=[f"{i:02d}-{m[1]}" for i, m in enumerate(MALFORMED)]
)
def test_malformed_documents_give_exact_messages(base, path, value, delete, expected):
    doc = with_changes(base, path, value, delete)
    assert model.validate(doc, FILES[id(base)]) == expected
    if expected:
        with pytest.raises(model.ModelError) as err:
            model.parse(doc, FILES[id(base)])
        assert err.value.problems == expected


def test_several_problems_in_one_document_are_all_reported():
    doc = copy.deepcopy(GUESTBOOK)
    doc["spec"]["syncPolicy"]["retry"]["limit"] = "five"
    doc["spec"]["destination"] = {"namespace": "x"}
    del doc["spec"]["project"]
    assert model.validate(doc, "guestbook.yaml") == [
        'guestbook.yaml: spec.syncPolicy.retry.limit: expected integer, got "five"',
        "guestbook.yaml: spec.destination: expected server or name, got neither",
        "guestbook.yaml: spec.project: required field is missing",
    ]


def test_multi_source_refs_are_checked():
    doc = copy.deepcopy(GUESTBOOK)
    del doc["spec"]["source"]
    doc["spec"]["sources"] = [
        {
            "repoURL": "https://charts.example.com",
            "chart": "web",
            "targetRevision": "1.2.3",
            "helm": {"valueFiles": ["$values/web/values.yaml", "$vals/typo.yaml"]},
        },
        {"repoURL": "https://github.com/org/values.git", "targetRevision": "main", "ref": "values"},
    ]
    assert model.validate(doc, "multi.yaml") == [
        "multi.yaml: spec.sources[0].helm.valueFiles[1]: expected a reference to a source with ref (known: values), "
        'got "$vals/typo.yaml"'
    ]
    doc["spec"]["sources"][0]["helm"]["valueFiles"].pop()
    app = model.parse_application(doc)
    assert [s.ref for s in app.spec.all_sources()] == [None, "values"]


def test_source_with_two_tools_is_rejected():
    doc = with_changes(GUESTBOOK, "spec.source.helm", {"releaseName": "x"})
    doc["spec"]["source"]["kustomize"] = {"namePrefix": "a-"}
    assert model.validate(doc, "g.yaml") == [
        "g.yaml: spec.source: expected at most one of helm, kustomize, directory or plugin, got helm, kustomize"
    ]


def test_multi_document_messages_name_the_document():
    text = """
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: ok}
spec:
  project: default
  source: {repoURL: https://example.com/r.git, path: a}
  destination: {server: https://kubernetes.default.svc}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: broken}
spec:
  project: default
  source: {repoURL: https://example.com/r.git, path: a}
  destination: {server: https://kubernetes.default.svc}
  syncPolicy: {retry: {limit: five}}
---
kind: ConfigMap
metadata: {name: x}
"""
    expected = [
        'apps.yaml: document 2 (Application broken): spec.syncPolicy.retry.limit: expected integer, got "five"',
        "apps.yaml: document 3 (ConfigMap x): kind: expected one of Application, AppProject, ApplicationSet, "
        'got "ConfigMap"',
    ]
    assert model.validate_documents(text, "apps.yaml") == expected
    with pytest.raises(model.ModelError) as err:
        model.load_documents(text, "apps.yaml")
    assert err.value.problems == expected
    with pytest.raises(model.ModelError) as err:
        model.load_documents(text, "apps.yaml", skip_other_kinds=True)
    assert err.value.problems == expected[:1]


def test_invalid_yaml_names_file_and_line():
    problems = model.validate_documents("kind: Application\nmetadata:\n  name: [unclosed\n", "bad.yaml")
    assert len(problems) == 1
    assert problems[0].startswith("bad.yaml: invalid YAML: line 4, column 1: ")


def test_appset_template_may_use_templated_destination_and_omit_project():
    doc = copy.deepcopy(APPSET)
    del doc["spec"]["template"]["spec"]["project"]
    doc["spec"]["template"]["spec"]["destination"] = {"name": "{{.name}}"}
    assert model.validate(doc, "appset.yaml") == []


def test_parse_kind_mismatch():
    with pytest.raises(model.ModelError) as err:
        model.parse_appproject(GUESTBOOK, "g.yaml")
    assert err.value.problems == ['g.yaml: kind: expected "AppProject", got "Application"']


def test_unknown_fields_are_kept_and_listed_with_suggestions():
    doc = copy.deepcopy(GUESTBOOK)
    doc["spec"]["syncPolicy"]["automated"]["selfheal"] = True
    doc["spec"]["source"]["helm"] = {"valueFile": ["v.yaml"], "valuesObject": {"anything": {"goes": 1}}}
    doc["spec"]["ignoreDifferences"][1]["jsonPointer"] = ["/x"]
    app = model.parse_application(doc, "g.yaml")
    assert model.unknown_fields(app) == [
        'spec.source.helm.valueFile: unknown field (did you mean "valueFiles"?)',
        'spec.syncPolicy.automated.selfheal: unknown field (did you mean "selfHeal"?)',
        'spec.ignoreDifferences[1].jsonPointer: unknown field (did you mean "jsonPointers"?)',
    ]
    assert model.to_dict(app) == doc
    assert model.unknown_fields(model.parse_application(GUESTBOOK)) == []
