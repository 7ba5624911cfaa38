"""OpenLineage run events for job runs, so catalogs such as Marquez, DataHub or OpenMetadata
see what nbtools runs and the data it reads and writes.

Off by default; turned on by :class:`~nbtools.config.OpenLineageSettings`
(``$NBTOOLS_OPENLINEAGE_TRANSPORT=http`` and ``$NBTOOLS_OPENLINEAGE_URL``, or ``file`` and
``$NBTOOLS_OPENLINEAGE_FILE``). Every run then emits ``START`` when it starts and ``COMPLETE``,
``FAIL`` or ``ABORT`` when it ends (:mod:`.events`, a run-event subscriber), built and sent
with the ``openlineage-python`` client from a background thread (:mod:`.emitter`): a slow or
failing receiver is logged and never fails or delays a run.
"""
