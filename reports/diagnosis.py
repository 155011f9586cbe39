"""The report's diagnosis section: ROC AUC, sensitivity and specificity per mask source."""

from __future__ import annotations

from reports import plots
from reports.format import fmt
from reports.rundata import RunData


def diagnosis_section(run: RunData) -> dict:
    """AUC per mask source and classifier, and the ROC figures."""
    info = run.record.get("diagnosis", {})
    table = run.classification
    if info.get("skipped") or table.empty:
        return {"skipped": info.get("skipped") or "no classification results"}
    sources = list(dict.fromkeys(table["mask_source"]))
    classifiers = list(dict.fromkeys(table["classifier"]))
    rows = []
    for source in sources:
        row = {"source": source, "values": []}
        for name in classifiers:
            part = table[(table["mask_source"] == source) & (table["classifier"] == name)]
            row["values"].append({
                "auc": f"{fmt(part['roc_auc'].mean())} ± {fmt(part['roc_auc'].std(ddof=1))}",
                "sensitivity": fmt(part["sensitivity"].mean()),
                "specificity": fmt(part["specificity"].mean())})
        rows.append(row)
    figures = [{"classifier": c, "figure": plots.roc_panels(run.scores, c, sources)}
               for c in classifiers]
    return {"skipped": None, "classifiers": classifiers, "rows": rows, "figures": figures}
