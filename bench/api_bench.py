"""The scoring API's latency through its handler, beside the bare scorer on the same texts.

    python -m bench.api_bench [--data ../shared/data] [--requests 1000]

1,000 requests of 1 text and 1,000 of 100 texts to ``POST /api/classify``, each a payload format
2.0 event built as ``review-scorer serve`` builds it (``review_scorer_local.http_api``) and
handed to the API's Lambda handler in this process, against the local stack (moto's server and
the local SageMaker, the model registered and loaded once: a warm container). The baseline, in
the same run: the bare tokenizer plus fastText's predict on the same texts, one request's texts
at a time. p50 and p99 of each, and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from pathlib import Path
from typing import Any

REQUESTS = 1_000
SIZES = (1, 100)


def _percentiles(seconds: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return {"p50_ms": round(cuts[49] * 1000, 3), "p99_ms": round(cuts[98] * 1000, 3)}


def run(model: Path, data: Path | None = None, requests: int = REQUESTS) -> dict[str, Any]:
    from bench.scoring_bench import review_texts
    from review_scorer.handlers import api
    from review_scorer.model.scorer import FastTextScorer
    from review_scorer.tokenizer import tokenize
    from review_scorer_local.http_api import request_event
    from review_scorer_local.lambda_invoke import LocalContext
    from review_scorer_local.stack import LocalModeStack
    from review_scorer_local.stack_config import StackConfig

    texts, source = review_texts(data)
    rng = random.Random(5)
    scorer = FastTextScorer.from_archive(model, where=str(model))
    results: dict[str, Any] = {"reviews": source, "requests": requests, "sizes": []}
    with LocalModeStack(StackConfig()) as stack:
        stack.register_model(model)
        os.environ.update(stack.function_environment())
        context = LocalContext("ApiFunction")
        for size in SIZES:
            batches = [[rng.choice(texts) for _ in range(size)] for _ in range(requests)]
            events = [
                request_event(
                    "POST",
                    "/api/classify",
                    [("content-type", "application/json")],
                    json.dumps({"texts": batch}).encode(),
                    source_ip="127.0.0.1",
                )
                for batch in batches
            ]
            api.lambda_handler(events[0], context)  # the model loads: a warm container after
            handler, bare = [], []
            for event, batch in zip(events, batches, strict=True):
                started = time.perf_counter()
                answer = api.lambda_handler(event, context)
                handler.append(time.perf_counter() - started)
                if answer["statusCode"] != 200:
                    raise RuntimeError(f"classify answered {answer['statusCode']}")
                started = time.perf_counter()
                for text in batch:
                    tokens = tokenize(text)
                    if tokens:
                        scorer.predict_line(" ".join(tokens) + "\n", 1)
                bare.append(time.perf_counter() - started)
            timed, baseline = _percentiles(handler), _percentiles(bare)
            ratio = round(baseline["p50_ms"] / timed["p50_ms"], 3)
            results["sizes"].append(
                {"texts": size, "handler": timed, "bare": baseline, "p50_ratio": ratio}
            )
    return results


def report(result: dict[str, Any]) -> list[str]:
    if not result or "sizes" not in result:
        return []
    lines = [
        "## The scoring API: POST /api/classify through its handler (warm)",
        "",
        f"{result['requests']:,} requests per size; reviews: {result['reviews']}. Bare: the "
        "tokenizer plus fastText's predict on the same texts, in the same run.",
        "",
        "| texts per request | handler p50 ms | handler p99 ms | bare p50 ms | bare p99 ms "
        "| bare / handler (p50) |",
        "|---|---|---|---|---|---|",
    ]
    for row in result["sizes"]:
        h, b = row["handler"], row["bare"]
        lines.append(
            f"| {row['texts']} | {h['p50_ms']} | {h['p99_ms']} | {b['p50_ms']} | {b['p99_ms']} "
            f"| {row['p50_ratio']} |"
        )
    lines.append("")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--requests", type=int, default=REQUESTS)
    args = parser.parse_args()
    if args.model is None:
        import tempfile

        from review_scorer_training.demo import demo_model

        args.model = demo_model(Path(tempfile.mkdtemp()))
    print("\n".join(report(run(args.model, args.data, args.requests))))


if __name__ == "__main__":
    main()
