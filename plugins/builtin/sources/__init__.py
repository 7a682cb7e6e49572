"""Built-in source types: Git repositories (``git``) and Helm chart repositories (``helm``)."""
