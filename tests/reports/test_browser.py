"""The report in a real browser: Debian's headless Chromium renders it without script errors.

Marked ``browser``; it runs wherever Chromium is installed (``.ci/run`` installs it) and
fails in CI when it is missing, so a green CI means the browser check ran.
"""

import os
import shutil
import subprocess

import numpy as np
import pytest

pytestmark = pytest.mark.browser

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]


def chromium():
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed; .ci/run installs it (apt-get install "
                        "chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return found


def browse(path, *args, tmp_path):
    profile = tmp_path / "profile"
    out = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args,
                          path.as_uri()], capture_output=True, text=True, timeout=120)
    return out


def test_report_renders_without_script_errors_and_is_not_blank(report_run, tmp_path):
    report = report_run / "report.html"
    dom = browse(report, "--dump-dom", tmp_path=tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'data-report-ready="yes"' in dom.stdout  # the page's script ran to its end
    errors = [line for line in dom.stderr.splitlines()
              if "Uncaught" in line or ("CONSOLE" in line and "error" in line.lower())]
    assert errors == []
    shot = tmp_path / "report.png"
    taken = browse(report, f"--screenshot={shot}", "--window-size=1280,2400",
                   tmp_path=tmp_path)
    assert taken.returncode == 0 and shot.is_file(), taken.stderr[-2000:]
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.shape[0] >= 2000
    assert pixels.std() > 20  # text, tables and figures, not a blank page
    assert (pixels < 100).mean() > 0.01  # some dark ink on the page


def test_html_in_a_case_id_stays_text_in_the_browser(xss_run, tmp_path):
    dom = browse(xss_run / "report.html", "--dump-dom", tmp_path=tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'src="x"' not in dom.stdout and "onerror" not in dom.stdout.replace(
        "onerror=alert(1)&gt;", "")
    assert "&lt;img src=x onerror=alert(1)&gt;" in dom.stdout


def test_study_report_renders_its_figure_without_script_errors(study_folder, tmp_path):
    dom = browse(study_folder / "report.html", "--dump-dom", tmp_path=tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'data-report-ready="yes"' in dom.stdout
    errors = [line for line in dom.stderr.splitlines()
              if "Uncaught" in line or ("CONSOLE" in line and "error" in line.lower())]
    assert errors == []
    assert dom.stdout.count('src="data:image/png;base64,') == 1
    assert "box_shape (floor)" in dom.stdout and "roi_ellipse (floor)" not in dom.stdout
