"""Auto-sync's "once per revision" rule."""

from kedge.controller.autosync import already_attempted


def test_auto_sync_attempts_a_revision_once_per_source_and_options():
    app = {
        "spec": {
            "source": {"repoURL": "git://x/r", "path": "a", "targetRevision": "HEAD"},
            "syncPolicy": {"automated": {}, "syncOptions": ["CreateNamespace=true"]},
        },
        "status": {
            "operationState": {
                "phase": "Failed",
                "operation": {
                    "initiatedBy": {"automated": True},
                    "sync": {"syncOptions": ["CreateNamespace=true"]},
                },
                "syncResult": {
                    "revision": "abc",
                    "source": {"repoURL": "git://x/r", "path": "a", "targetRevision": "main"},
                },
            }
        },
    }
    assert already_attempted(app, ["abc"])[0]
    assert not already_attempted(app, ["def"])[0]  # a new commit
    app["spec"]["source"]["path"] = "b"
    assert not already_attempted(app, ["abc"])[0]  # another source
    app["spec"]["source"]["path"] = "a"
    app["spec"]["syncPolicy"]["syncOptions"] = ["CreateNamespace=true", "Validate=false"]
    assert not already_attempted(app, ["abc"])[0]  # other options
