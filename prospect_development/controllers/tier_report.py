import os
import re
import tempfile
import time

import psycopg2.errors

from odoo import http
from odoo.http import request

from ..wizard.prospect_tier_report import XLSX_MIMETYPE

# how long a download waits for the read replica to hold its wizard
REPLICA_WAIT = 5.0
LSN_PATTERN = re.compile(r"[0-9A-F]{1,8}/[0-9A-F]{1,8}")


class ProspectTierReportController(http.Controller):
    @http.route(
        "/prospect/tier_report/<int:wizard_id>", type="http", auth="user", readonly=True
    )
    def prospect_tier_report(self, wizard_id, lsn=None, **kwargs):
        """Stream the tier report of one of the user's own wizards. The workbook is
        written to a temporary file (constant memory) and sent from it; the file is
        unlinked as soon as the response holds it open.

        A read-only request: with a read replica (``db_replica_host``) the workbook
        is read there, not on the primary."""
        self._wait_for_replica(lsn)
        wizard = request.env["prospect.tier.report.wizard"].browse(wizard_id).exists()
        if not wizard and self._on_replica():
            raise self._to_primary(f"wizard {wizard_id} is not on the read replica")
        if not wizard or wizard.create_uid != request.env.user:
            raise request.not_found()
        handle, path = tempfile.mkstemp(prefix="prospect_tier_report_", suffix=".xlsx")
        os.close(handle)
        try:
            wizard._write_xlsx(path)
            stream = http.Stream(
                type="path",
                path=path,
                mimetype=XLSX_MIMETYPE,
                download_name=wizard._get_file_name(),
                size=os.path.getsize(path),
            )
            return stream.get_response(as_attachment=True)
        finally:
            os.unlink(path)

    def _wait_for_replica(self, lsn):
        """On a replica, wait until it has replayed the primary's WAL up to ``lsn``
        (where the primary stood when the wizard was saved), then read from a fresh
        snapshot: the wizard and its latest values are there. A replica still behind
        after ``REPLICA_WAIT`` seconds hands the request to the primary (Odoo retries
        a read-only request on a read/write cursor)."""
        if not (lsn and LSN_PATTERN.fullmatch(lsn) and self._on_replica()):
            return
        cr = request.env.cr
        deadline = time.monotonic() + REPLICA_WAIT
        while True:
            cr.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cr.fetchone()[0]:
                # the snapshot of this transaction predates the replay
                cr.rollback()
                request.env.invalidate_all()
                return
            if time.monotonic() > deadline:
                raise self._to_primary(
                    f"the read replica has not replayed {lsn} after {REPLICA_WAIT} s"
                )
            time.sleep(0.05)

    def _on_replica(self):
        cr = request.env.cr
        if not cr.readonly:
            return False
        cr.execute("SELECT pg_is_in_recovery()")
        return cr.fetchone()[0]

    def _to_primary(self, reason):
        """The error on which Odoo runs a read-only request again on the primary."""
        return psycopg2.errors.ReadOnlySqlTransaction(f"{reason}: asking the primary")
