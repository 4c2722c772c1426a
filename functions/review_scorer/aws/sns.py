"""Publishing a file's outcome."""

from __future__ import annotations

from review_scorer.aws import clients
from review_scorer.outcome.summary import Summary


def publish(topic_arn: str, summary: Summary) -> str:
    response = clients.sns().publish(
        TopicArn=topic_arn,
        Subject=summary.subject(),
        Message=summary.to_json(),
        MessageAttributes=summary.message_attributes(),  # type: ignore[arg-type]
    )
    return response["MessageId"]
