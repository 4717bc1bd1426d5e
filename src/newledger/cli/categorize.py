"""``newledger categorize suggest|eval``: categorization hints from the command line."""

from __future__ import annotations

import json

import typer

from newledger.cli.common import COMPANY_OPTION, company_actor, console, unit_of_work
from newledger.ledger.categorize import RECENT_EXAMPLES, THRESHOLD, evaluate, suggest
from newledger.money import parse_amount

app = typer.Typer(help="Categorization hints for expenses.", no_args_is_help=True)


@app.command("suggest")
def suggest_cmd(
    company: str = COMPANY_OPTION,
    description: str = typer.Option(..., help="What the expense was for"),
    vendor: str = typer.Option("", help="Vendor name"),
    amount: str = typer.Option("0", help="Amount, e.g. 86.40"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """Suggest an account for an expense, with the evidence, or abstain."""
    with unit_of_work() as session:
        comp, actor = company_actor(session, company)
        hint = suggest(
            session,
            actor,
            comp.id,
            description,
            vendor or None,
            parse_amount(amount, comp.home_currency),
        )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "abstained": hint.abstained,
                    "account_id": hint.account_id,
                    "account_code": hint.account_code,
                    "account_name": hint.account_name,
                    "confidence": hint.confidence,
                    "evidence": hint.evidence,
                }
            )
        )
    elif hint.abstained:
        console.print(f"no suggestion (confidence {hint.confidence:.2f}): {hint.evidence}")
    else:
        console.print(
            f"{hint.account_code} {hint.account_name} (confidence {hint.confidence:.2f}): "
            f"{hint.evidence}"
        )


@app.command("eval")
def eval_cmd(
    company: str = COMPANY_OPTION,
    holdout: float = typer.Option(0.2, min=0.01, max=0.9, help="Newest share held out for test"),
    seed: int = typer.Option(42, help="Seed for sampling the test set when --max-test applies"),
    max_test: int | None = typer.Option(None, help="Test on a random sample of this many"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """Measure hint accuracy and coverage: train on older history, test on the newest."""
    with unit_of_work() as session:
        comp, actor = company_actor(session, company)
        result = evaluate(
            session,
            actor,
            comp.id,
            holdout=holdout,
            seed=seed,
            max_test=max_test,
        )
    figures = {
        "train": result.train,
        "test": result.test,
        "suggested": result.suggested,
        "correct": result.correct,
        "accuracy": round(result.accuracy, 4),
        "coverage": round(result.coverage, 4),
        "threshold": THRESHOLD,
    }
    if as_json:
        typer.echo(json.dumps(figures))
        return
    console.print(
        f"trained on {result.train:,} approved items (at most {RECENT_EXAMPLES:,}, the newest "
        f"before the split); tested on the newest {result.test:,}\n"
        f"accuracy {result.accuracy:.1%} ({result.correct:,} correct of {result.suggested:,} "
        f"suggested)\n"
        f"coverage {result.coverage:.1%} ({result.suggested:,} suggested of {result.test:,}; "
        f"the rest abstained below confidence {THRESHOLD})"
    )
