"""The local stack's parameters, derived from the functions' :class:`Settings`.

Settings is the one source of every default (the template's parameters match it too, a contract
test checks); local mode only names the stack's own resources and takes overrides.
"""

from __future__ import annotations

from typing import Any

from review_scorer.settings import Settings


class StackConfig:
    """The stack's parameters. The functions' settings are :class:`Settings`' defaults (the one
    source of every default, which the template's parameters match too) with ``overrides``;
    an override that is not a Settings field, or a value Settings refuses, fails here."""

    def __init__(
        self,
        *,
        bucket: str = "review-scorer-local",
        region: str = "us-east-1",
        model_name: str = "review-scorer-local-model",
        log_level: str = "WARNING",
        transform_instance_quota: int | None = None,
        **overrides: Any,
    ) -> None:
        unknown = sorted(set(overrides) - set(Settings.model_fields))
        if unknown:
            raise TypeError(f"not a setting of the functions: {', '.join(unknown)}")
        self.bucket, self.region, self.model_name = bucket, region, model_name
        self.log_level = log_level
        self.transform_instance_quota = transform_instance_quota
        """The account's transform-instance quota the local SageMaker enforces (None: none)."""
        self.overrides = overrides
        self.settings = self.function_settings(topic_arn="arn:aws:sns:local:0:unset")

    def function_settings(self, topic_arn: str, intake_queue_url: str = "") -> Settings:
        return Settings.model_validate(
            {
                **self.overrides,
                "bucket_name": self.bucket,
                "topic_arn": topic_arn,
                "model_name": self.model_name,
                "intake_queue_url": intake_queue_url,
            }
        )

    def __repr__(self) -> str:
        return f"StackConfig({', '.join(f'{k}={v!r}' for k, v in self.overrides.items())})"


def function_environment(settings: Settings) -> dict[str, str]:
    """The environment variables that give a function ``settings`` (what the template sets)."""
    return {name.upper(): str(value) for name, value in settings.model_dump().items()}
