"""The fuse command: validate and deploy print what the API would say."""
from __future__ import annotations

from click.testing import CliRunner

from api.cli import main
from helpers import REFUND_BPMN, bpmn_document, flow


def test_validate_prints_processes_and_exits_zero_for_a_valid_model():
    result = CliRunner().invoke(main, ["validate", str(REFUND_BPMN)])
    assert result.exit_code == 0, result.output
    assert "process refund_approval: executable" in result.output
    assert result.output.strip().endswith("valid")


def test_validate_lists_each_error_with_file_line_and_element(tmp_path):
    bad = tmp_path / "bad.bpmn"
    bad.write_bytes(bpmn_document('<bpmn:startEvent id="start"/><bpmn:sendTask id="notify"/>'
                                  + flow("f1", "start", "notify")))
    result = CliRunner().invoke(main, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "error bad.bpmn:" in result.output and "notify" in result.output
    assert "invalid: 1 error(s)" in result.output


def test_deploy_reports_warnings_and_non_executable_processes(tmp_path, database_url, monkeypatch):
    monkeypatch.setenv("FUSE_DATABASE_URL", database_url)
    model = tmp_path / "m.bpmn"
    model.write_bytes(bpmn_document('<bpmn:startEvent id="start" camunda:madeUp="true"/>'
                                    '<bpmn:endEvent id="end"/>' + flow("f1", "start", "end"), executable=False))
    refused = CliRunner().invoke(main, ["deploy", str(model)])
    assert refused.exit_code == 1 and "allow_non_executable" in refused.output
    kept = CliRunner().invoke(main, ["deploy", "--allow-non-executable", str(model)])
    assert kept.exit_code == 0, kept.output
    assert "[not executable: for viewing]" in kept.output
    assert "warning m.bpmn:" in kept.output and "camunda:madeUp" in kept.output
