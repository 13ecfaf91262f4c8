"""A check's artifacts folder is named by the check (`test-results/R2-100-same-origin-chromium`),
whatever path the harness was installed under; other tests keep pytest-playwright's."""

from __future__ import annotations

import pytest

CHECKS = """
import pytest

@pytest.mark.conformance("MY1", cross_origin=True)
@pytest.mark.parametrize("n", [2, 100])
def test_my_check(output_path, _harness_topology, browser_name, n):
    print("FOLDER", output_path)

@pytest.mark.conformance("MY2")
def test_one_way(output_path, _harness_topology, browser_name):
    print("FOLDER", output_path)

@pytest.mark.conformance("MY2")
def test_another_way(output_path, _harness_topology, browser_name):
    print("FOLDER", output_path)

def test_not_a_check(output_path):
    print("FOLDER", output_path)
"""


def test_a_checks_folder_is_named_by_its_id_parameters_topology_and_browser(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_own_checks=CHECKS)
    result = pytester.runpytest_subprocess("-s", "--browser", "chromium", "--browser",
                                           "firefox", "-p", "no:cacheprovider", timeout=120)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-2000:]
    folders = [line.split("FOLDER ", 1)[1] for line in result.stdout.lines if "FOLDER " in line]
    results = str(pytester.path / "test-results")
    named = {f.removeprefix(results + "/") for f in folders}
    assert named >= {"MY1-2-same-origin-chromium", "MY1-100-cross-origin-firefox",
                     "MY2-same-origin-chromium-test-one-way",
                     "MY2-same-origin-chromium-test-another-way"}, named
    # One folder each: per parameter, topology and browser; the same ID twice adds the test.
    assert len(named) == len(folders) == 4 * 2 + 2 * 2 + 1, sorted(named)
    # A test that is no check keeps pytest-playwright's own name.
    assert "test-own-checks-py-test-not-a-check" in named, sorted(named)
