"""Model bundles and the registry of versions and aliases."""
