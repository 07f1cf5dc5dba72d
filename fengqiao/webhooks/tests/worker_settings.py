"""Settings of the Celery worker that the Redis test starts: the project's, with a back-off
short enough for a test and the test's own queue (so that no other worker on the same Redis
takes its messages, and its retries come back to it)."""

from fengqiao.settings import *  # noqa: F403

WEBHOOKS_RETRY_BASE_SECONDS = 0.2
CELERY_TASK_DEFAULT_QUEUE = "webhooks-test"
