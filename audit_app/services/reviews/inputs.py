"""The inputs a management review has to consider (ISO/IEC 42001 9.3.2), in our own words.

The performance information is split into separate codes so that a review shows which part it looked at."""

from __future__ import annotations

from audit_app.models.review import ManagementReview

#: (code, label) of every required input, in the order a review goes through them.
INPUTS: list[tuple[str, str]] = [
    ("a", "Status of actions from previous management reviews"),
    ("b", "Changes in external and internal issues relevant to the AIMS"),
    ("c", "Changes in the needs and expectations of interested parties"),
    ("d1", "AIMS performance: nonconformities and corrective actions"),
    ("d2", "AIMS performance: monitoring and measurement results"),
    ("d3", "AIMS performance: audit results"),
    ("e", "Opportunities for continual improvement"),
]

INPUT_LABELS: dict[str, str] = dict(INPUTS)
INPUT_CODES: tuple[str, ...] = tuple(code for code, _ in INPUTS)


def considered_codes(review: ManagementReview) -> set[str]:
    """Codes of the inputs the review records as considered."""
    return {item.code for item in review.inputs if item.considered}


def missing_inputs(review: ManagementReview) -> list[str]:
    """Labels of the required inputs the review did not consider, in the standard's order."""
    done = considered_codes(review)
    return [label for code, label in INPUTS if code not in done]


def coverage_sentence(review: ManagementReview) -> str:
    """Whether every required input was covered, in words."""
    missing = missing_inputs(review)
    if not missing:
        return "Every required input (9.3.2) was considered."
    return f"{len(missing)} of {len(INPUTS)} required inputs not considered: " + "; ".join(missing) + "."


#: Where the app holds the data for each input: (what it is, path of the page).
INPUT_LINKS: dict[str, tuple[tuple[str, str], ...]] = {
    "a": (("Earlier management reviews and their actions", "/management-reviews/"),),
    "b": (("Organisation profile and context", "/organisation/"), ("AI systems inventory", "/organisation/ai-systems")),
    "c": (("Organisation profile and interested parties", "/organisation/"),),
    "d1": (("CAPA register", "/findings/register"), ("Corrective actions", "/findings/register/actions")),
    "d2": (("Readiness dashboard", "/readiness/"), ("Documented-information register", "/documents-register/")),
    "d3": (("Audits", "/audits/"), ("Audit programmes", "/programmes/")),
    "e": (("CAPA register (opportunities for improvement)", "/findings/register"),),
}
