"""StartScoring through local S3: throughput and peak memory as the upload grows.

For each size a CSV of synthetic reviews is uploaded to a moto server running in its own process
(so its object store does not count), and the real handler runs on the real S3 event in a child
process that reports its own peak RSS (``getrusage``, the kernel's accounting). The baseline is
the bare tokenizer over the same review texts, in this run: the ratio says how much of the
tokenizer's speed survives CSV parsing, JSON Lines staging and the S3 round trips.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.local_aws import MODEL_NAME, function_env, moto_process, s3_client
from bench.peak import peak_rss_mb
from review_scorer.tokenizer import tokenize
from review_scorer_training.synthetic import LABELS, review

BUCKET = "review-scorer-bench"
MB = 1_000_000


def write_csv(path: Path, size_mb: int, seed: int = 5) -> int:
    """A CSV of about ``size_mb`` MB: a 1 MB block of varied rows, repeated with new ids."""
    rng = random.Random(seed)
    block = [review(rng.choice(LABELS), rng) for _ in range(9_000)]
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["review_id", "product_category", "review_body"])
        n = 0
        while f.tell() < size_mb * MB:
            for text in block:
                writer.writerow([f"r-{n:09d}", "Dresses", text])
                n += 1
    return path.stat().st_size


def bare_tokenizer_seconds(path: Path) -> float:
    """Time to tokenize every review of the file (reading it is not timed)."""
    with path.open(encoding="utf-8", newline="") as f:
        texts = [row[2] for row in csv.reader(f)][1:]
    started = time.perf_counter()
    for text in texts:
        tokenize(text)
    return time.perf_counter() - started


def child(event_path: str, warmup_path: str) -> None:
    """Run StartScoring on a tiny warm-up file (as a warm Lambda, its clients and connections
    made), then on the event; print both times and this process's peak RSS."""
    from review_scorer.handlers import start_scoring
    from review_scorer_local.lambda_invoke import LocalContext

    started = time.perf_counter()
    start_scoring.lambda_handler(json.loads(Path(warmup_path).read_text()), LocalContext("w"))
    cold = time.perf_counter() - started
    event = json.loads(Path(event_path).read_text())
    started = time.perf_counter()
    result = start_scoring.lambda_handler(event, LocalContext("StartScoringFunction"))
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cold_start_s": cold,
                "peak_rss_mb": peak_rss_mb(),
                "result": result,
            }
        )
    )


def run(sizes_mb: list[int]) -> list[dict[str, Any]]:
    from review_scorer_local.sagemaker_endpoint import SageMakerEmulator
    from review_scorer_local.sagemaker_http import SageMakerHttpServer

    sagemaker = SageMakerEmulator("us-east-1")
    endpoint = SageMakerHttpServer(sagemaker)
    with moto_process() as moto:
        url = moto.url
        env = function_env(
            url,
            endpoint.url,
            BUCKET,
            "arn:aws:sns:us-east-1:123456789012:none",
            max_upload_bytes=10 * 1024**3,
            max_uncompressed_bytes=10 * 1024**3,
            fast_path_max_rows=0,  # staging for a job is what is measured here
            transform_instance_limit=100,  # the jobs started are never run: none frees up
        )
        try:
            s3 = s3_client(url)
            s3.create_bucket(Bucket=BUCKET)
            sagemaker.create_model({"ModelName": MODEL_NAME, "PrimaryContainer": {}})
            return [_measure(size, s3, env) for size in sizes_mb]
        finally:
            endpoint.stop()


def _measure(size_mb: int, s3: Any, env: dict[str, str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="review-scorer-bench-") as tmp:
        path = Path(tmp) / f"reviews_{size_mb}mb.csv"
        size = write_csv(path, size_mb)
        event_path = _upload(s3, path, f"incoming/bench {size_mb}mb.csv", Path(tmp) / "e.json")
        warmup = Path(tmp) / "warmup.csv"
        warmup.write_text("review_body\nwarm up\n")
        warmup_path = _upload(s3, warmup, f"incoming/warmup {size_mb}.csv", Path(tmp) / "w.json")
        baseline = bare_tokenizer_seconds(path)
        process = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.start_scoring_bench",
                "--child",
                str(event_path),
                str(warmup_path),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if process.returncode != 0:
        raise RuntimeError(process.stderr[-2000:])
    measured = json.loads(process.stdout.splitlines()[-1])
    if measured["result"] != {"batchItemFailures": []}:
        raise RuntimeError(f"unexpected outcome {measured['result']}")
    mb_s = size / MB / measured["seconds"]
    tokenizer_mb_s = size / MB / baseline
    return {
        "input_mb": round(size / MB, 1),
        "start_scoring_s": round(measured["seconds"], 2),
        "cold_start_s": round(measured["cold_start_s"], 2),
        "start_scoring_mb_s": round(mb_s, 2),
        "bare_tokenizer_mb_s": round(tokenizer_mb_s, 2),
        "ratio_to_tokenizer": round(mb_s / tokenizer_mb_s, 3),
        "peak_rss_mb": round(measured["peak_rss_mb"], 1),
    }


def _upload(s3: Any, path: Path, key: str, event_path: Path) -> Path:
    """Upload ``path`` at ``key`` and write the intake queue's event that announces it (the S3
    event as an SQS message's body, as the event source mapping hands it to StartScoring)."""
    from review_scorer_local.intake_mapping import sqs_event

    s3.upload_file(str(path), BUCKET, key)
    etag = s3.head_object(Bucket=BUCKET, Key=key)["ETag"].strip('"')
    obj = {"key": key.replace(" ", "+"), "size": path.stat().st_size, "eTag": etag}
    event = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": BUCKET}, "object": obj},
            }
        ]
    }
    message = {
        "MessageId": f"bench-{key}",
        "ReceiptHandle": "bench",
        "Body": json.dumps(event),
        "Attributes": {"ApproximateReceiveCount": "1"},
    }
    queue = "arn:aws:sqs:us-east-1:123456789012:intake"
    event_path.write_text(json.dumps(sqs_event([message], queue, "us-east-1")))
    return event_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes-mb", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(json.dumps(run(args.sizes_mb), indent=2))


if __name__ == "__main__":
    main()
