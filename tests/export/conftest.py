from tests.batch.conftest import trained

__all__ = ["trained"]
