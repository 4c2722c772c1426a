"""Local mode: the whole flow on one machine, no AWS account.

moto's server stands in for S3, SNS, SQS and EventBridge; this package does what moto cannot:
a SageMaker endpoint that runs transform jobs with a real fastText model, the S3 -> Lambda and
EventBridge -> Lambda deliveries, and the command line. Not part of the Lambda bundle.
"""
