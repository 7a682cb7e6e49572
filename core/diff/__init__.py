"""Diffing desired manifests against live objects.

The pipeline for one resource (see :func:`kedge.diff.compare.compare`):

1. *predict*: what the live object would look like after Kedge applied the desired one
   (server-side apply semantics: fields the desired object sets win, fields other managers
   own stay, fields Kedge applied before and no longer applies go away);
2. *normalise* both sides: drop server-populated metadata and, where configured, status;
   remove what ``ignoreDifferences`` (JSON pointers, jq paths, managedFieldsManagers) says to
   ignore; mask Secret data;
3. compare the two normalised documents; render a structured and a unified text diff.
"""
