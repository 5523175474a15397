"""The claims workflow in Python: extract the fields of a claim email, classify the damage and
match the policy in parallel, compute a reserve, route it. The "models" are small heuristics that
report honest confidences, so it runs offline; unsure claims stop at a gate for a reviewer."""

from __future__ import annotations

import asyncio
import random
import re
from typing import Any, Dict, Iterator

from seamtrace import AsyncRun, Policy, Seamtrace, StepResult, Workflow

POLICIES = {"PX-1043": {"holder": "A. Jones", "active": True, "cover": 5000}, "PX-2210": {"holder": "B. Singh", "active": True, "cover": 20000},
            "PX-3307": {"holder": "C. Moreau", "active": False, "cover": 8000}}
KINDS = {"water": ("leak", "flood", "pipe", "water"), "fire": ("fire", "smoke", "burn"), "storm": ("storm", "wind", "hail", "roof"),
         "theft": ("stolen", "theft", "break-in")}
FACTOR = {"water": 1.0, "fire": 1.4, "storm": 1.2, "theft": 0.9}


def claims_workflow(st: Seamtrace) -> Workflow:
    """Escalate a step under 0.8, or a chain under 0.6; a claim without a policy number breaks the
    extract step's contract and always escalates."""
    return st.workflow("python-claims", version="1", policy=Policy(min_confidence=0.8, min_cumulative=0.6, on_low="escalate"))


def has_policy_number(fields: Dict[str, Any]) -> Any:
    return None if isinstance(fields.get("policy_no"), str) else "no policy number found"


async def pipeline(run: AsyncRun) -> str:
    email: Dict[str, str] = run.input
    fields = await run.step("extract", lambda: extract(email["body"]), input=email, schema=has_policy_number)
    kind, policy = await asyncio.gather(
        run.step("classify", lambda: classify(email["body"]), from_=[fields]),
        run.step("match-policy", lambda: POLICIES.get(fields.value["policy_no"]), from_=[fields], source="direct"),
    )
    reserve = await run.step("reserve", lambda: StepResult(round(fields.value["amount"] * FACTOR[kind.value], 2), confidence=0.95,
                                                            features={"amount": fields.value["amount"], "kind": kind.value}), from_=[fields, kind, policy])
    route = await run.step("route", lambda: StepResult("adjuster" if reserve.value > 2000 or not (policy.value or {}).get("active") else "auto",
                                                        confidence=0.97), from_=[reserve, policy])
    return route.value


def extract(body: str) -> StepResult[Dict[str, Any]]:
    policy = re.search(r"\bPX-\d{4}\b", body)
    amount = re.search(r"\$([\d,]+)", body)
    found = [policy is not None, amount is not None].count(True)
    return StepResult({"policy_no": policy.group(0) if policy else None, "amount": float(amount.group(1).replace(",", "")) if amount else 0.0},
                      confidence=(0.3, 0.6, 0.96)[found], reasoning=f"{found} of 2 fields matched their patterns")


def classify(body: str) -> StepResult[str]:
    text = body.lower()
    hits = {kind: sum(word in text for word in words) for kind, words in KINDS.items()}
    best = max(hits, key=lambda k: hits[k])
    total = sum(hits.values())
    confidence = hits[best] / total if total else 0.25
    return StepResult(best, confidence=round(confidence, 3), alternatives=[k for k in hits if k != best and hits[k]])


def generate(seed: int, count: int) -> Iterator[Dict[str, str]]:
    """Synthetic claim emails; about one in six is ambiguous or lacks a field."""
    rng = random.Random(seed)
    texts = ["A pipe burst and water flooded the kitchen", "Smoke and fire damaged the garage", "The storm tore tiles off the roof",
             "My bike was stolen from the shed", "Wind and water came through the roof after the storm", "Fire, then the hoses flooded the hall"]
    for i in range(count):
        policy = rng.choice(list(POLICIES)) if rng.random() > 0.08 else ""
        amount = rng.choice([450, 1200, 1900, 3400, 7800])
        text = rng.choices(texts, weights=[5, 5, 5, 5, 1, 1])[0]
        yield {"message_id": f"py-claim-{seed}-{i}", "body": f"{text}. Policy {policy}, about ${amount:,}."}
