import logging
import threading

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# {(UTC minute, time zone): the day there}: ``fields.Date.context_today`` is a pure
# function of the two (time zones move by whole minutes), and every save of a lead
# and every contact ask for it. Emptied when it grows past LOCAL_DAYS_SIZE.
LOCAL_DAYS = {}
LOCAL_DAYS_SIZE = 1024


class ProspectEngine(models.AbstractModel):
    """The skeleton every batch job of the add-on runs in.

    ``_run()`` prepares the work (``_prepare()``: temporary tables, the list of what
    is due), then processes it batch after batch (``_process_batch()``); between two
    batches it reports the progress to the scheduler and commits, so that a run
    killed at any moment keeps what it finished and the next run does the rest.
    Under tests, or when told ``auto_commit=False`` (the install hook), everything
    happens in the caller's transaction. The temporary tables named in
    ``_temp_tables`` are dropped at the end (and at the start, after a failed run).

    The engines read the date through ``_now()`` and ``_today()``: the demo data runs
    them over simulated time with the ``prospect_now`` context key.
    """

    _name = "prospect.engine"
    _description = "Prospect Development batch job"

    _batch_size = 1000
    _temp_tables = ()

    @api.model
    def _run(self, batch_size=None, auto_commit=None):
        """Do the whole job; returns how many items were processed."""
        if batch_size:
            self = self.with_context(prospect_batch_size=batch_size)
        if auto_commit is None:
            auto_commit = not getattr(threading.current_thread(), "testing", False)
        self.env.flush_all()
        if auto_commit:
            self._commit()  # the run's transactions are its own
        else:
            self._begin_transaction(fresh=False)
        processed = done = 0
        # left over by a run that failed on this connection, if any
        self._drop_temp_tables()
        batches = self._prepare()
        for batch in batches:
            processed += self._process_batch(batch)
            done += 1
            if auto_commit:
                self.env["ir.cron"]._notify_progress(
                    done=done, remaining=self._count_remaining(batches, done)
                )
                self._commit()
        self._drop_temp_tables()
        _logger.info("%s: %s processed", self._description, processed)
        return processed

    def _commit(self):
        """Make what is done final and start the next transaction of the run: a
        kill after this redoes nothing of it."""
        self.env.cr.commit()  # pylint: disable=invalid-commit
        self.env.invalidate_all()  # keep memory flat over the batches
        self._begin_transaction(fresh=True)

    def _begin_transaction(self, fresh):
        """First statements of each transaction of the run (memory, and the
        isolation level when ``fresh``: nothing ran in the transaction yet)."""

    def _prepare(self):
        """What to process: a list of batches, or an iterable that finds the next
        batch when asked (then ``_count_remaining`` says how many are left)."""
        raise NotImplementedError

    def _process_batch(self, batch):
        """Process one batch; returns how many items it processed."""
        raise NotImplementedError

    def _count_remaining(self, batches, done):
        """Batches left after ``done`` of them: reported to the scheduler, which
        runs the job again while some are left."""
        return len(batches) - done

    def _drop_temp_tables(self):
        for table in self._temp_tables:
            self.env.cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(table)))

    @api.model
    def _now(self):
        """The moment the job runs at (naive UTC)."""
        return self.env.context.get("prospect_now") or fields.Datetime.now()

    @api.model
    def _score_day(self):
        """The day the ages of the signals are counted to: their dates are stored
        in UTC, and so is this day (a user's evening must not age them by a day)."""
        return self._now().date()

    @api.model
    def _today(self, now=None):
        """The day the job runs on (or of the moment ``now``), in the user's time
        zone."""
        minute = (now or self._now()).replace(second=0, microsecond=0)
        key = (minute, self.env.context.get("tz") or self.env.user.tz)
        day = LOCAL_DAYS.get(key)
        if day is None:
            if len(LOCAL_DAYS) >= LOCAL_DAYS_SIZE:
                LOCAL_DAYS.clear()
            day = LOCAL_DAYS[key] = fields.Date.context_today(self, timestamp=minute)
        return day

    @api.model
    def _get_batch_size(self):
        return self.env.context.get("prospect_batch_size") or self._batch_size

    @api.model
    def _split(self, items):
        """``items`` in lists of at most the batch size."""
        size = self._get_batch_size()
        return [items[start : start + size] for start in range(0, len(items), size)]
