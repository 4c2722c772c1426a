"""Fault injection for the local SageMaker endpoint: API calls and input objects made to fail.

For tests: the next calls of an operation answer an error SageMaker answers with
(:meth:`FaultInjection.inject`), an input object fails inside the transform jobs that read it
(:meth:`FaultInjection.fail_inputs`), and every call is counted (:meth:`FaultInjection.calls`).
:class:`~review_scorer_local.sagemaker_endpoint.SageMakerEmulator` has all of it.
"""

from __future__ import annotations

import threading


class ApiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


INPUT_FAULT = "AlgorithmError: injected fault"


class FaultInjection:
    """The faults injected into the local SageMaker, and the calls made to it."""

    def __init__(self) -> None:
        self._faults: dict[str, list[ApiError]] = {}
        self._input_faults: dict[str, str] = {}  # part of an input key -> its failure
        self._input_faults_lock = threading.Lock()
        self._calls: dict[str, int] = {}

    def inject(self, operation: str, code: str, message: str, times: int = 1) -> None:
        """Make the next ``times`` calls of ``operation`` fail with ``code`` (for tests)."""
        self._faults.setdefault(operation, []).extend([ApiError(code, message)] * times)

    def fail_inputs(self, name_contains: str, message: str = INPUT_FAULT) -> None:
        """Make every input object whose S3 key contains ``name_contains`` fail inside any job
        that reads it from now on (for tests), as an object with a bad record does: the job
        writes no output for it, still scores the others and writes theirs, and ends Failed
        with a FailureReason naming it and ``message``
        (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TransformOutput.html).
        Applied by the runner the flow runs jobs with
        (:func:`review_scorer_local.transform_runner.run_job`'s ``input_fault``)."""
        if not name_contains:
            raise ValueError("name_contains must not be empty: it would fail every input")
        with self._input_faults_lock:
            self._input_faults[name_contains] = message

    def input_fault(self, key: str) -> str | None:
        """The injected failure of the input object at ``key``, or None."""
        with self._input_faults_lock:
            faults = list(self._input_faults.items())
        return next((message for part, message in faults if part in key), None)

    def calls(self, operation: str) -> int:
        return self._calls.get(operation, 0)

    def _count_and_fault(self, operation: str) -> None:
        """Count a call of ``operation``; raise the next fault injected for it, if any."""
        self._calls[operation] = self._calls.get(operation, 0) + 1
        if self._faults.get(operation):
            raise self._faults[operation].pop(0)
