"""review-scorer: batch text scoring of review CSVs with a BlazingText model on SageMaker."""

__version__ = "0.1.0"
