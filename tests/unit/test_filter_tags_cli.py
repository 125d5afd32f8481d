"""`regscan filter-tags`: the dry run of tag filters, through the real command line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from regscan.cli.main import main

REGISTRY = """\
apiVersion: regscan.dev/v1alpha1
kind: Registry
metadata: {name: team-a}
spec:
  url: https://harbor.example.com
  repositories:
    - name: "team-a/*"
      matchOperator: Or
      matchConditions:
        - {name: v2, expression: "isSemver(tag, true) && semver(tag, true).major() >= 2"}
        - {name: latest, expression: 'tag == "latest"'}
    - name: "team-b/app"
      matchConditions:
        - {name: by-repo, expression: 'repository == "team-b/app" && tag.endsWith("-prod")'}
"""


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict | None, str]:
    code = main(["filter-tags", *argv])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None, err


def test_kept_dropped_errors_in_input_order(capsys: pytest.CaptureFixture[str]) -> None:
    expr = 'semver(tag, true).isGreaterThan(semver("1.2.0"))'
    tags = ["1.3", "latest", "1.12-alpine", "v1.10", "1.1"]
    code, out, _ = _run(["--tag-filter", expr, "--", *tags], capsys)
    assert code == 0
    assert out is not None
    assert out["kept"] == ["1.3", "v1.10"]
    assert out["dropped"] == ["latest", "1.12-alpine", "1.1"]
    assert list(out["errors"]) == ["latest", "1.12-alpine"]
    assert "short version cannot contain PreRelease/Build" in out["errors"]["1.12-alpine"]


def test_tags_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("v1\n\nv2\n  x  \n"))
    code, out, _ = _run(["--tag-filter", 'tag.startsWith("v")'], capsys)
    assert (code, out) == (0, {"kept": ["v1", "v2"], "dropped": ["x"], "errors": {}})


@pytest.mark.parametrize(
    ("repository", "tags", "kept"),
    [
        ("team-a/web", ["v2.0", "1.9", "latest", "nightly"], ["v2.0", "latest"]),
        ("team-b/app", ["1-prod", "1-dev"], ["1-prod"]),
    ],
)
def test_registry_file_uses_the_matching_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], repository: str, tags: list, kept: list
) -> None:
    manifest = tmp_path / "registry.yaml"
    manifest.write_text(REGISTRY)
    argv = ["--registry-file", str(manifest), "--repository", repository, "--", *tags]
    code, out, _ = _run(argv, capsys)
    assert code == 0 and out is not None and out["kept"] == kept


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--tag-filter", "tag >"], "tag-filter[filter-0]: does not parse at column"),
        (["--tag-filter", "isSemver(tag, 'yes')"], "no matching overload for 'isSemver'"),
        (["--tag-filter", "semver(tag).major == 1"], "did you mean `.major()`?"),
        (["--tag-filter", "tag > 1"], "column 1: no matching overload for '>'"),
        (["--tag-filter", "tag.size()"], "must return a bool"),
        (["--registry-file", "REG", "--repository", "team-c/x"], "matches no spec.repositories"),
        (["--registry-file", "REG"], "--repository: give the repository NAME"),
        (["--registry-file", "REG", "--tag-filter", "true"], "either --tag-filter or"),
        (["--registry-file", "MISSING", "--repository", "a"], "cannot read"),
        (["--registry-file", "BAD", "--repository", "a"], "holds no `kind: Registry`"),
    ],
)
def test_invalid_input_exits_2_before_any_tag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    (tmp_path / "reg.yaml").write_text(REGISTRY)
    (tmp_path / "bad.yaml").write_text("kind: ConfigMap\n")
    paths = {"REG": "reg.yaml", "MISSING": "missing.yaml", "BAD": "bad.yaml"}
    argv = [str(tmp_path / paths[a]) if a in paths else a for a in argv]
    code, out, err = _run([*argv, "--", "1.0"], capsys)
    assert code == 2 and out is None
    assert fragment in err
    assert "Traceback" not in err and "celpy" not in err and "lark" not in err.lower()


def test_bad_operator_is_an_argparse_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["filter-tags", "--tag-filter", "true", "--match-operator", "xor", "--", "1"])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
