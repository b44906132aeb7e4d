"""serve's SageMaker Runtime: the invoke API, the durable queue, workers, models and
notifications."""
