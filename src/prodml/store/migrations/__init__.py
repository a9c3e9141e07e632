"""Alembic migrations for the metadata store, shipped inside the package.

``prodml.store`` runs ``upgrade head`` each time a store is opened, so users upgrading prodml
never run a migration command by hand. A new revision goes in ``versions/`` as the next number
(0002_...), written out in full like 0001; ``tests/store`` checks that the migrated schema matches
the ORM classes in ``prodml.store._schema`` on SQLite and PostgreSQL.
"""
