"""Typed Argo CD resources (``argoproj.io/v1alpha1``): Application, AppProject, ApplicationSet.

Parse, validate and serialise them without losing fields the model does not know::

    from kedge import model

    apps = model.load_documents(text, "apps.yaml")     # raises model.ModelError
    problems = model.validate(doc, "guestbook.yaml")   # one message per problem
    app = model.parse_application(doc, "guestbook.yaml")
    assert model.to_dict(app) == doc

Messages read ``<document>: <field path>: <expectation>, got <value>``, e.g.
``guestbook.yaml: spec.syncPolicy.retry.limit: expected integer, got "five"``.
"""

from kedge.model.application import Application, ApplicationSpec, ApplicationStatus
from kedge.model.appset import ApplicationSet
from kedge.model.loader import (
    ModelError,
    Resource,
    load_documents,
    load_file,
    parse,
    parse_application,
    parse_applicationset,
    parse_appproject,
    to_dict,
    unknown_fields,
    validate,
    validate_documents,
    yaml_documents,
)
from kedge.model.project import AppProject
from kedge.model.source import ApplicationSource
from kedge.model.spec import ApplicationDestination, SyncPolicy

__all__ = [
    "AppProject",
    "Application",
    "ApplicationDestination",
    "ApplicationSet",
    "ApplicationSource",
    "ApplicationSpec",
    "ApplicationStatus",
    "ModelError",
    "Resource",
    "SyncPolicy",
    "load_documents",
    "load_file",
    "parse",
    "parse_application",
    "parse_applicationset",
    "parse_appproject",
    "to_dict",
    "unknown_fields",
    "validate",
    "validate_documents",
    "yaml_documents",
]
