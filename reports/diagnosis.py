"""The report's diagnosis section: ROC AUC, sensitivity and specificity per mask source."""

from __future__ import annotations

import pandas as pd

from reports import plots
from reports.format import fmt
from reports.rundata import RunData


def not_classified(part: pd.DataFrame) -> str | None:
    """Why a mask source's rows of ``classification.csv`` hold no result, or None.

    A source the diagnosis stage did not classify has NaN results and the reason in ``note``
    (runs made before ``note`` existed have none, and every source was classified).
    """
    if "note" not in part or part["roc_auc"].notna().any():
        return None
    notes = part["note"].dropna()
    return str(notes.iloc[0]) if len(notes) else None


def diagnosis_section(run: RunData) -> dict:
    """AUC per mask source and classifier, the reason for sources not classified, ROC figures.

    Returns
    -------
    dict
        ``skipped`` (the reason the stage did not run, or None), ``classifiers``, ``n_folds``,
        ``youden`` (whether sensitivity and specificity are at a threshold chosen on each
        training part: runs made before it took the classifier's own threshold), ``span`` (the
        columns a "not classified" cell spans), ``rows``
        (per source: ``source``, ``note`` when not classified, else ``values`` per
        classifier) and ``figures`` (one per classifier, over the classified sources).
    """
    info = run.record.get("diagnosis", {})
    table = run.classification
    if info.get("skipped") or table.empty:
        return {"skipped": info.get("skipped") or "no classification results"}
    sources = list(dict.fromkeys(table["mask_source"]))
    classifiers = list(dict.fromkeys(table["classifier"]))
    rows, classified = [], []
    for source in sources:
        own = table[table["mask_source"] == source]
        note = not_classified(own)
        row = {"source": source, "note": note, "values": []}
        if note is None:
            classified.append(source)
        for name in classifiers if note is None else ():
            part = own[own["classifier"] == name]
            row["values"].append({
                "auc": f"{fmt(part['roc_auc'].mean())} ± {fmt(part['roc_auc'].std(ddof=1))}",
                "sensitivity": fmt(part["sensitivity"].mean()),
                "specificity": fmt(part["specificity"].mean())})
        rows.append(row)
    figures = ([{"classifier": c, "figure": plots.roc_panels(run.scores, c, classified)}
                for c in classifiers] if classified else [])
    return {"skipped": None, "classifiers": classifiers, "n_folds": table["fold"].nunique(),
            "youden": "threshold" in table, "span": 3 * len(classifiers), "rows": rows,
            "figures": figures}
