import os
import tempfile

from odoo import http
from odoo.http import request

from ..wizard.prospect_tier_report import XLSX_MIMETYPE


class ProspectTierReportController(http.Controller):
    @http.route("/prospect/tier_report/<int:wizard_id>", type="http", auth="user")
    def prospect_tier_report(self, wizard_id, **kwargs):
        """Stream the tier report of one of the user's own wizards. The workbook is
        written to a temporary file (constant memory) and sent from it; the file is
        unlinked as soon as the response holds it open."""
        wizard = request.env["prospect.tier.report.wizard"].browse(wizard_id).exists()
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
