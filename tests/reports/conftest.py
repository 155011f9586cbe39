import numpy as np
import pandas as pd
import pytest

XSS = "<img src=x onerror=alert(1)>"


def floor_family() -> list[str]:
    """Every registered pixel-free predictor (family ``floor``), in run order."""
    from benchmark.harness.methods import all_methods

    return [name for name, info in all_methods(deep=False).items() if info.family == "floor"]


@pytest.fixture(scope="session")
def report_run(tmp_path_factory):
    """A quick run of two classical methods, every floor, roi_ellipse and the CAE, reported."""
    pytest.importorskip("keras")
    from benchmark.harness.commands.run import run_with_report

    out = tmp_path_factory.mktemp("report") / "run"
    methods = list(dict.fromkeys(["otsu", "region_growing", "roi_ellipse", *floor_family(),
                                  "cae"]))
    return run_with_report(methods, profile="quick", out=out, quiet=True,
                           command=["python", "-m", "benchmark", "run"])


@pytest.fixture(scope="session")
def xss_manifest(tmp_path_factory):
    """A manifest dataset one of whose case ids is an HTML tag with a script handler."""
    from benchmark.ground.data import make_phantom
    from benchmark.ground.data.imageio import write_pgm

    folder = tmp_path_factory.mktemp("xss")
    rows = []
    for i, case in enumerate(make_phantom(16, seed=5, size=48)):
        write_pgm(folder / f"im{i}.pgm", np.rint(case.image * 255).astype(np.uint8))
        write_pgm(folder / f"ma{i}.pgm", case.mask.astype(np.uint8) * 255)
        rows.append({"image": f"im{i}.pgm", "mask": f"ma{i}.pgm", "label": case.label,
                     "patient": f"p{i // 2}", "case": XSS if i == 0 else f"case{i}"})
    pd.DataFrame(rows).to_csv(folder / "manifest.csv", index=False)
    return folder / "manifest.csv"


@pytest.fixture(scope="session")
def xss_run(tmp_path_factory, xss_manifest):
    from benchmark.harness.commands.run import run_with_report

    out = tmp_path_factory.mktemp("xssrun") / "run"
    return run_with_report(["otsu"], data=str(xss_manifest), profile="quick", out=out,
                         quiet=True)


@pytest.fixture(scope="session")
def study_folder(tmp_path_factory):
    """A quick roi-looseness study of region growing, the ROI floor and a reference, reported."""
    from benchmark.harness.studies import run_study
    from reports import render_study

    out = run_study("roi-looseness", ["region_growing", "roi_ellipse", "box_shape"],
                    profile="quick",
                    out=tmp_path_factory.mktemp("study") / "s", quiet=True)
    render_study(out)
    return out
