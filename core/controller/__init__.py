"""The application controller: compares desired manifests with live state, records status,
and runs sync operations."""
