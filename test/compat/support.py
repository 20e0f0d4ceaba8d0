"""Small helpers shared by the compat test modules (imported as `support`; pytest puts this folder on sys.path)."""

from __future__ import annotations

import contextlib
import uuid

import mlflow
import pytest
from mlflow.exceptions import MlflowException, RestException

MLFLOW_MAJOR = int(mlflow.__version__.split(".")[0])

# Only the 3.x client is pinned for these; the 2.x pass deselects them (`-m "not mlflow3"`).
mlflow3_only = pytest.mark.mlflow3


@contextlib.contextmanager
def rest_error(error_code: str, *fragments: str):
    """Expects the client to raise RestException with `error_code`, its message naming every fragment."""
    with pytest.raises(RestException) as info:
        yield info
    assert info.value.error_code == error_code, f"{info.value.error_code}: {info.value.message}"
    for fragment in fragments:
        assert fragment in info.value.message, f"{fragment!r} not in {info.value.message!r}"


@contextlib.contextmanager
def client_error(*fragments: str):
    """Expects an MlflowException raised by the client itself (not a server error body)."""
    with pytest.raises(MlflowException) as info:
        yield info
    assert not isinstance(info.value, RestException), f"server error, expected a client-side one: {info.value}"
    for fragment in fragments:
        assert fragment in info.value.message, f"{fragment!r} not in {info.value.message!r}"


def fake_run_id() -> str:
    return uuid.uuid4().hex


def artifact_source(label: str = "model") -> str:
    """A source under semreg's own artifact root (mlflow-artifacts:/, no host), as a 2.x client registers."""
    return f"mlflow-artifacts:/0/{fake_run_id()}/artifacts/{label}"


def semver(mv) -> str:
    return mv.tags.get("semver")
