"""Where a person refused with step-up-required signs in again: the sign-in page, asked for a fresh
sign-in (`max_age`, seconds) and a second factor when the refusal says so, then back to the task page."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import url_for

from engine.errors import StepUpRequired


def reauthenticate_url(err: StepUpRequired) -> str:
    ages = [item["value"] for item in err.missing if item["requirement"] == "auth_within_minutes"]
    # A fresh sign-in is what any step-up amounts to; a requirement without an age still asks for one.
    params = {"next": url_for("web.task_page", task_id=err.task_id), "max_age": min(ages) * 60 if ages else 0}
    if any(item["requirement"] == "second_factor" for item in err.missing):
        params["second_factor"] = 1
    return f"{url_for('web.login')}?{urlencode(params)}"
