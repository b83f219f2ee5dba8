"""`escalator serve`: the web app and a worker in one process, for trying the service.

With no REDIS_URL the queue lives in an in-memory Redis (fakeredis). RQ's forking worker would
get a copy of that memory, so jobs run in this process (`SimpleWorker`). Scheduled jobs
(rate-limit and retry delays) are moved by the same scheduler thread as `escalator worker`'s
(workers.scheduler), which also re-runs the jobs of a process that died (workers.reaper).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace

from rq.serializers import JSONSerializer
from werkzeug.serving import make_server

from app.infra.liveness import log_persistence
from app.infra.logs import configure_logging, log_event
from app.infra.queueing import connect, embedded_redis, make_queues
from app.infra.settings import LOCAL_DEV_SECRET, Settings
from app.web.factory import create_app
from workers import process
from workers.job_log import LoggingSimpleWorker
from workers.reruns import rerun_interrupted
from workers.scheduler import Scheduler

log = logging.getLogger("escalator.serve")


def run_embedded(settings: Settings, *, host: str, port: int) -> None:
    configure_logging(settings.log_format, settings.log_level)
    if not settings.accepted_secrets:
        settings = replace(settings, webhook_secrets=(LOCAL_DEV_SECRET,))
        log_event(
            log,
            "serve.local-dev-secret",
            level=logging.WARNING,
            detail="no ZENDESK_WEBHOOK_SECRET set: accepting webhooks signed with the local development "
            "secret (escalator replay uses it)",
        )
    # `escalator replay --wait` reads the job status; the terminal shows the notes it would write.
    settings = replace(settings, expose_job_status=True, dry_run_show_text=True)
    if settings.redis_url:
        log_persistence(settings.redis_url, log)
    connection = connect(settings.redis_url) if settings.redis_url else embedded_redis()
    queues = make_queues(connection, settings.queue_name)  # most urgent first
    app = create_app(settings, redis_connection=connection)
    process.install(process.WorkerContext.build(settings, connection))

    server = make_server(host, port, app, threaded=True)
    threading.Thread(target=server.serve_forever, name="web", daemon=True).start()
    log_event(
        log,
        "serve.listening",
        url=f"http://{host}:{server.port}/webhooks/zendesk",
        redis="embedded" if not settings.redis_url else "external",
        dry_run=settings.dry_run,
    )

    scheduler_connection = connect(settings.redis_url) if settings.redis_url else connection
    scheduler = Scheduler(scheduler_connection, [queue.name for queue in queues]).start()
    worker = LoggingSimpleWorker(
        queues, connection=connection, serializer=JSONSerializer, exception_handlers=[rerun_interrupted]
    )
    try:
        worker.work(logging_level="INFO")
    finally:
        scheduler.stop()
        server.shutdown()
