"""The files deployed beside a model (policies, model files, forms), read by name while an instance runs."""
from __future__ import annotations

from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.models import DeploymentResource


def deployment_files(session: Session, deployment_id: str) -> Callable[[str], bytes]:
    """Reads files of a deployment by name (KeyError naming the file if absent)."""
    def read(name: str) -> bytes:
        content = session.scalar(select(DeploymentResource.content).where(
            DeploymentResource.deployment_id == deployment_id, DeploymentResource.name == name))
        if content is None:
            raise KeyError(f"no file named {name} was deployed with this process")
        return content
    return read
