"""PublishResults' join through local S3: throughput and peak memory as the results grow.

For each size, the bench lays out in a moto server of its own process what a finished job
leaves behind (the upload, its manifest, the ``.out`` prediction shards) and marks the job
Completed in the local SageMaker; the real handler then runs on the real completion event in a
child process that reports its own peak RSS (VmHWM). The join's work does not depend on what
the predictions say, so they are written directly rather than by running the model on
millions of rows. The baseline is reading the same CSV with the same reader, in this run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.local_aws import MODEL_NAME, client, function_env, moto_process, s3_client
from bench.peak import peak_rss_mb
from bench.start_scoring_bench import write_csv
from review_scorer import bucket_keys
from review_scorer.settings import Settings
from review_scorer.transform import jobs
from review_scorer.transform.batch import JobFiles
from review_scorer.transform.manifest import Manifest, RowCounts, ShardEntry, SourceObject
from review_scorer.transform.request import transform_request
from review_scorer.upload.csv_reader import read_table

BUCKET = "review-scorer-join-bench"
MB = 1_000_000
ROWS_PER_SHARD = 300_000
PREDICTION = b'{"label": ["__label__1", "__label__0"], "prob": [0.91, 0.07]}\n'


def child(event_path: str) -> None:
    from review_scorer.handlers import publish_results
    from review_scorer_local.lambda_invoke import LocalContext

    event = json.loads(Path(event_path).read_text())
    started = time.perf_counter()
    result = publish_results.lambda_handler(event, LocalContext("PublishResultsFunction"))
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "result": result}))


def stage_finished_job(s3: Any, sagemaker: Any, path: Path, name: str) -> tuple[str, float]:
    """Upload ``path`` and what its finished job would have written; returns the job name and
    the seconds the bare CSV reader takes over the file (the baseline)."""
    settings = Settings(bucket_name=BUCKET, topic_arn="x", model_name=MODEL_NAME)
    key = f"{bucket_keys.INCOMING_PREFIX}{name}.csv"
    s3.upload_file(str(path), BUCKET, key)
    etag = s3.head_object(Bucket=BUCKET, Key=key)["ETag"].strip('"')
    job = jobs.job_name(settings.job_name_prefix, BUCKET, key, etag)
    started = time.perf_counter()
    with path.open("rb") as raw:
        table = read_table(raw, settings.review_column)
        rows = sum(1 for _ in table.rows)
    baseline = time.perf_counter() - started
    shards = []
    for index, first in enumerate(range(0, rows, ROWS_PER_SHARD)):
        count = min(ROWS_PER_SHARD, rows - first)
        shard = bucket_keys.shard_key(job, index)
        s3.put_object(
            Bucket=BUCKET, Key=bucket_keys.prediction_key(job, shard), Body=PREDICTION * count
        )
        shards.append(ShardEntry(key=shard, rows=count))
    manifest = Manifest(
        job=job,
        name=name,
        model=settings.model_name,
        source=SourceObject(bucket=BUCKET, key=key, etag=etag, size=path.stat().st_size),
        review_column=settings.review_column,
        max_field_chars=settings.max_field_chars,
        columns=table.columns,
        rows=RowCounts(total=rows, scored=rows),
        shards=shards,
        marks=[],
        tokenizer_version="bench",
        created_at="2026-01-01T00:00:00+00:00",
    )
    s3.put_object(Bucket=BUCKET, Key=bucket_keys.manifest_key(job), Body=manifest.model_dump_json())
    files = JobFiles(job=job, files=[job]).model_dump_json()  # a job of its own
    s3.put_object(Bucket=BUCKET, Key=bucket_keys.job_files_key(job), Body=files)
    sagemaker.create_transform_job(transform_request(job, BUCKET, len(shards), settings))
    sagemaker.run_pending(lambda job, model: None)  # Completed: the outputs are in place
    return job, baseline


def run(sizes_mb: list[int]) -> list[dict[str, Any]]:
    from review_scorer_local.sagemaker_endpoint import SageMakerEmulator
    from review_scorer_local.sagemaker_http import SageMakerHttpServer

    sagemaker = SageMakerEmulator("us-east-1")
    endpoint = SageMakerHttpServer(sagemaker)
    with moto_process() as moto:
        url = moto.url
        topic = client("sns", url).create_topic(Name="bench")["TopicArn"]
        env = function_env(url, endpoint.url, BUCKET, topic)
        try:
            s3 = s3_client(url)
            s3.create_bucket(Bucket=BUCKET)
            sagemaker.create_model({"ModelName": MODEL_NAME, "PrimaryContainer": {}})
            return [_measure(size, s3, sagemaker, env) for size in sizes_mb]
        finally:
            endpoint.stop()


def _measure(size_mb: int, s3: Any, sagemaker: Any, env: dict[str, str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="review-scorer-bench-") as tmp:
        path = Path(tmp) / "reviews.csv"
        size = write_csv(path, size_mb)
        job, baseline = stage_finished_job(s3, sagemaker, path, f"join {size_mb}mb")
        event = json.loads(
            (Path(__file__).parents[1] / "events" / "transform_job_completed.json").read_text()
        )
        event["detail"]["TransformJobName"] = job
        event_path = Path(tmp) / "event.json"
        event_path.write_text(json.dumps(event))
        process = subprocess.run(
            [sys.executable, "-m", "bench.publish_results_bench", "--child", str(event_path)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if process.returncode != 0:
        raise RuntimeError(process.stderr[-2000:])
    measured = json.loads(process.stdout.splitlines()[-1])
    if list(measured["result"].get("published", {}).values()) != ["SUCCEEDED"]:
        raise RuntimeError(f"unexpected outcome {measured['result']}: {process.stderr[-1000:]}")
    mb_s = size / MB / measured["seconds"]
    reader_mb_s = size / MB / baseline
    return {
        "input_mb": round(size / MB, 1),
        "publish_results_s": round(measured["seconds"], 2),
        "publish_results_mb_s": round(mb_s, 2),
        "bare_reader_mb_s": round(reader_mb_s, 2),
        "ratio_to_reader": round(mb_s / reader_mb_s, 3),
        "peak_rss_mb": round(measured["peak_rss_mb"], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes-mb", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    print(json.dumps(run(args.sizes_mb), indent=2))


if __name__ == "__main__":
    main()
