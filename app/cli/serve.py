"""`escalator serve`: the web app and a worker in one process, for trying the service.

With no REDIS_URL the queue lives in an in-memory Redis (fakeredis). RQ's forking worker and its
forked scheduler would each get a copy of that memory, so jobs run in this process
(`SimpleWorker`) and scheduled jobs (rate-limit and retry delays) are moved by a thread here.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace

from rq import Queue, SimpleWorker
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer
from werkzeug.serving import make_server

from app import defaults
from app.infra.logs import configure_logging
from app.infra.queueing import connect, embedded_redis, make_queues
from app.infra.settings import LOCAL_DEV_SECRET, Settings
from app.web.factory import create_app
from workers import process

log = logging.getLogger("escalator.serve")


def run_embedded(settings: Settings, *, host: str, port: int) -> None:
    configure_logging(settings.log_format)
    if not settings.accepted_secrets:
        settings = replace(settings, webhook_secrets=(LOCAL_DEV_SECRET,))
        log.warning(
            "serve.local-dev-secret no ZENDESK_WEBHOOK_SECRET set: accepting webhooks signed "
            "with the local development secret (escalator replay uses it)"
        )
    settings = replace(settings, expose_job_status=True)  # `escalator replay --wait` reads it
    connection = connect(settings.redis_url) if settings.redis_url else embedded_redis()
    queues = make_queues(connection, settings.queue_name)  # most urgent first
    app = create_app(settings, redis_connection=connection)
    process.install(process.WorkerContext.build(settings, connection))

    server = make_server(host, port, app, threaded=True)
    threading.Thread(target=server.serve_forever, name="web", daemon=True).start()
    log.info(
        "serve.listening url=http://%s:%s/webhooks/zendesk redis=%s dry_run=%s",
        host,
        server.port,
        "embedded" if not settings.redis_url else "external",
        settings.dry_run,
    )

    if not settings.redis_url:
        threading.Thread(target=_move_scheduled_jobs, args=(queues,), name="scheduler", daemon=True).start()
    worker = SimpleWorker(queues, connection=connection, serializer=JSONSerializer)
    try:
        worker.work(with_scheduler=bool(settings.redis_url), logging_level="INFO")
    finally:
        server.shutdown()


def _move_scheduled_jobs(queues: list[Queue]) -> None:
    scheduler = RQScheduler(queues, connection=queues[0].connection, serializer=JSONSerializer)
    while True:
        scheduler.acquire_locks()
        scheduler.enqueue_scheduled_jobs()
        time.sleep(defaults.EMBEDDED_SCHEDULER_INTERVAL_SECONDS)
