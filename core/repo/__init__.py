"""The repo server: fetch sources (Git, Helm repositories), render manifests, cache them."""
