"""POST /api/applicability: which access frameworks apply to a medicine on a date."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from ..answers.applicability import ApplicabilityError, Facts, applicability
from ..store import Store
from .errors import problem
from .security import require_json

router = APIRouter(prefix="/api", tags=["answers"])

_PROBLEM = {
    "content": {"application/problem+json": {"example": {"status": 404, "title": "Not Found",
                "detail": "unknown medicine 'Doliprane'; known medicines: LUMYKRAS (…); Lutathera (…)"}}},
}  # fmt: skip


class PriorTreatment(BaseModel):
    """A treatment the patient had before, and how it ended."""

    treatment: str = Field(description="treatment IRI, local name or label, e.g. surgery, MIBG, systemic-line")
    outcome: str = Field(description="failure, contraindication, impossible, progression, or none (not given)")


class ApplicabilityRequest(BaseModel):
    """A medicine, a day, and what is known of the patient (everything but medicine and date optional)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"medicine": "Lumykras", "date": "2024-06-01", "treatment_start": "2023-09-01",
                 "other": {"adults": True, "advanced-nsclc": True, "kras-g12c": True, "monotherapy": True},
                 "prior_treatments": [{"treatment": "systemic-line", "outcome": "progression"}]},
                {"medicine": "Lutathera", "date": "2024-01-01", "indication": "méningiome",
                 "imaging": {"sstr-pet": True}, "prior_treatments": [{"treatment": "surgery", "outcome": "failure"}],
                 "board_proposal": True},
            ]
        },
    )  # fmt: skip

    medicine: str = Field(description="name, INN or IRI; case- and accent-insensitive", examples=["Lumykras"])
    date: str = Field(description="the day to decide for, YYYY-MM-DD", examples=["2024-06-01"])
    treatment_start: str | None = Field(None, description="day the treatment was initiated, YYYY-MM-DD")
    indication: str | None = Field(None, description="indication IRI, label or abbreviation (e.g. PPGL)")
    imaging: dict[str, bool] = Field(
        default_factory=dict, description="modality (IRI, fdg-pet, FDG…) → whether it satisfies the condition"
    )
    prior_treatments: list[PriorTreatment] = Field(default_factory=list)
    board_proposal: bool | None = Field(None, description="whether the board named by the condition proposed it")
    other: dict[str, bool | str | None] = Field(
        default_factory=dict, description="explicit answers to conditions, by IRI, last path segment or label"
    )

    def facts(self) -> Facts:
        return Facts(
            treatment_start=self.treatment_start,
            indication=self.indication,
            imaging=dict(self.imaging),
            prior_treatments=[(p.treatment, p.outcome) for p in self.prior_treatments],
            board_proposal=self.board_proposal,
            other=dict(self.other),
        )


class ApplicabilityResponse(BaseModel):
    """The applicability JSON (see README): overall status, one entry per framework/measure, citations."""

    model_config = ConfigDict(extra="allow")

    query: dict[str, Any]
    status: str = Field(description="applicable | not_applicable | indeterminate")
    frameworks: list[dict[str, Any]]
    missing_facts: list[str]
    citations: list[dict[str, Any]]


@router.post(
    "/applicability",
    summary="Which access frameworks apply to a medicine on a date",
    response_model=ApplicabilityResponse,
    dependencies=[Depends(require_json)],
    responses={400: {"description": "malformed date or unknown fact", **_PROBLEM},
               404: {"description": "unknown medicine or indication", **_PROBLEM},
               415: {"description": "the body is not JSON", **_PROBLEM}},
)  # fmt: skip
def post_applicability(body: ApplicabilityRequest, request: Request) -> Response:
    """Per framework: applicable / not_applicable / indeterminate, each condition met / unmet /
    unknown with its citation, the facts that would decide an unknown, and plain reasons."""
    store: Store = request.app.state.store
    try:
        result = applicability(store, body.medicine, body.date, body.facts())
    except ApplicabilityError as exc:
        return problem(exc.status, str(exc))
    return JSONResponse(result)
