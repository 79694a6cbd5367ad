"""Requests exactly as Camunda Modeler (7.x plugin, client/src/plugins/camunda-plugin/shared/CamundaAPI.js) sends
them: built here byte for byte, so tests replay the Modeler without running it.

deployDiagram: a browser FormData with deployment-name, deployment-source "Camunda Modeler",
enable-duplicate-filtering "true", (tenant-id when set), and the diagram as a Blob of type text/xml appended
under its file name as both part name and file name; Chromium writes it with a ----WebKitFormBoundary
boundary. Every request carries `accept: application/json` and the Basic (or Bearer) authorization.
checkConnection is GET /deployment?maxResults=0; startInstance posts JSON.stringify({businessKey, variables}).
"""
from __future__ import annotations

import base64
import json

BOUNDARY = "----WebKitFormBoundaryq3Vd8YgS1pTt5fGk"


def basic(name: str, token: str) -> str:
    return "Basic " + base64.b64encode(f"{name}:{token}".encode()).decode()


def headers(authorization: str) -> dict[str, str]:
    return {"accept": "application/json", "authorization": authorization}


def deploy_body(deployment_name: str, file_name: str, contents: bytes, tenant_id: str | None = None,
                attachments: tuple[tuple[str, bytes], ...] = ()) -> bytes:
    """The multipart body of POST /deployment/create, as Chromium serialises the Modeler's FormData; attachments
    (forms linked to the diagram) are Blobs without a type, so application/octet-stream."""
    def field(name: str, value: str) -> bytes:
        return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").encode()
    body = field("deployment-name", deployment_name) + field("deployment-source", "Camunda Modeler")
    body += field("enable-duplicate-filtering", "true")
    if tenant_id:
        body += field("tenant-id", tenant_id)
    body += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{file_name}\"; filename=\"{file_name}\"\r\n"
             "Content-Type: text/xml\r\n\r\n").encode() + contents + b"\r\n"
    for name, attached in attachments:
        body += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\n"
                 "Content-Type: application/octet-stream\r\n\r\n").encode() + attached + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


def deploy_headers(authorization: str) -> dict[str, str]:
    return {**headers(authorization), "content-type": f"multipart/form-data; boundary={BOUNDARY}"}


def start_body(business_key: str | None, variables: dict | None) -> bytes:
    """JSON.stringify({businessKey, variables}): undefined members are left out, no spaces."""
    body = {key: value for key, value in (("businessKey", business_key), ("variables", variables))
            if value is not None}
    return json.dumps(body, separators=(",", ":")).encode()


def start_headers(authorization: str) -> dict[str, str]:
    return {"content-type": "application/json", **headers(authorization)}
