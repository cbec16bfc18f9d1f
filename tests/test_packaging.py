"""Installable as the README says: versions in step, a wheel with its data, install routes before PyPI."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import xlcompute
from xlcompute.cli import main

ROOT = Path(__file__).resolve().parents[1]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_versions_named_anywhere_are_the_package_version():
    assert xlcompute.__version__ == VERSION
    for path in (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))):
        for named in re.findall(r"xlcompute==([0-9][0-9.]*[0-9])", path.read_text(encoding="utf-8")):
            assert named == VERSION, f"{path.name} names xlcompute=={named}, the package is {VERSION}"


@pytest.mark.slow
def test_the_wheel_carries_templates_catalogs_and_validation_data(tmp_path):
    """`python -m build --wheel` as `make dist` runs it: package data inside, no tests, no symlinks."""
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path), str(ROOT)], check=True,
                   capture_output=True)
    (wheel,) = tmp_path.glob(f"xlcompute-{VERSION}-py3-none-any.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("xlcompute/templates/proposal.html", "xlcompute/templates/assets/logo.svg",
                   "xlcompute/catalog/data/gpus.csv", "xlcompute/catalog/data/models.csv",
                   "xlcompute/catalog/data/prices.csv", "xlcompute/validation/data/serving_measurements.csv"):
        assert needed in names, needed
    assert not any(name.startswith("tests/") for name in names)


def test_addin_names_the_release_and_says_how_to_install_before_it_is_published():
    result = CliRunner().invoke(main, ["addin"])
    assert result.exit_code == 0
    assert f"pip install xlcompute=={VERSION} xlwings" in result.output
    assert "make dist" in result.output and "--wheel" in result.output


def test_addin_with_a_wheel_file_and_a_wheel_url(tmp_path):
    wheel = tmp_path / f"xlcompute-{VERSION}-py3-none-any.whl"
    wheel.write_bytes(b"PK")  # only its name and existence matter here
    classic = CliRunner().invoke(main, ["addin", "classic", "--wheel", str(wheel)])
    assert classic.exit_code == 0 and f'pip install "{wheel}" xlwings' in classic.output
    lite_file = CliRunner().invoke(main, ["addin", "lite", "--wheel", str(wheel)])
    assert lite_file.exit_code == 2 and "https://" in lite_file.output
    url = f"https://files.example.org/xlcompute-{VERSION}-py3-none-any.whl"
    lite = CliRunner().invoke(main, ["addin", "lite", "--wheel", url, "--dir", str(tmp_path)])
    assert lite.exit_code == 0
    assert (tmp_path / "requirements.txt").read_text() == url + "\n"
    missing = CliRunner().invoke(main, ["addin", "classic", "--wheel", str(tmp_path / "nope.whl")])
    assert missing.exit_code == 2 and "make dist" in missing.output
