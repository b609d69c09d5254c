from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.prospect_development import rules

# Views a visitor made at most this many days before being linked to a lead count
# for that lead when the link is found (live at their next view or form, or by the
# nightly rescoring).
CATCH_UP_DAYS = 30
# Reloading the same page counts once per lead in each slot of this many seconds
# (website itself records every request of a tracked page).
VIEW_SLOT_SECONDS = 1800


class WebsiteTrack(models.Model):
    _inherit = "website.track"

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        """Tracks created through the ORM (``website.visitor._add_tracking``);
        the page views of ``website`` are inserted in SQL, see
        ``website.visitor._upsert_visitor``."""
        tracks = super().create(vals_list)
        # product views (website_sale) have no URL: not page views
        if viewed := tracks.filtered("url"):
            # and the views of these visitors not recorded yet, as live
            self._prospect_record_page_views(
                SQL("track.visitor_id = ANY(%s)", viewed.visitor_id.ids)
            )
        return tracks

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    @api.model
    def _prospect_record_page_views(self, where):
        """Record the page views matching ``where`` (over ``track``) not recorded
        yet, as ``page_view`` events of the open leads of their visitor; returns
        the events created."""
        values = self._prospect_page_view_values(where)
        if not values:
            return self.env["prospect.engagement.event"]
        return self.env["prospect.engagement.event"]._record(values)

    @api.model
    def _prospect_visitor_leads(self):
        """``visitor_id, lead_id``: the leads whose views a visitor's are: those
        website_crm links to the visitor (its forms, a salesperson), and those of
        the contact the visitor is logged in as."""
        return SQL(
            """
            SELECT rel.website_visitor_id AS visitor_id, rel.crm_lead_id AS lead_id
              FROM crm_lead_website_visitor_rel rel
             UNION
            SELECT visitor.id, lead.id
              FROM website_visitor visitor
              JOIN crm_lead lead ON lead.partner_id = visitor.partner_id
            """
        )

    @api.model
    def _prospect_page_view_values(self, where):
        """The ``page_view`` events due for the tracks matching ``where``: one per
        open lead of the track's visitor (``_prospect_visitor_leads``), page (or
        URL) and slot of ``VIEW_SLOT_SECONDS``, for views of the last
        ``CATCH_UP_DAYS`` days with a URL (website's own "page views"), minus those
        already recorded. Hot pages give hot events."""
        self.flush_model(["visitor_id", "page_id", "url", "visit_datetime"])
        self.env["crm.lead"].flush_model(
            ["active", "stage_id", "visitor_ids", "partner_id"]
        )
        self.env["website.visitor"].flush_model(["partner_id"])
        self.env["crm.stage"].flush_model(["is_won"])
        self.env["website.page"].flush_model(["prospect_hot"])
        self.env["prospect.engagement.event"].flush_model(["dedup_key"])
        rows = self.env.execute_query_dict(
            SQL(
                """
            WITH view AS (
                SELECT track.id AS track_id, lead.id AS lead_id,
                       track.visit_datetime, LEFT(track.url, 1000) AS url,
                       COALESCE(page.prospect_hot, FALSE) AS is_hot,
                       CONCAT_WS(':', 'website.track', lead.id,
                                 COALESCE('page' || track.page_id, MD5(track.url)),
                                 FLOOR(EXTRACT(EPOCH FROM track.visit_datetime)
                                       / %(slot)s)::bigint) AS dedup_key
                  FROM website_track track
                  JOIN (%(links)s) link ON link.visitor_id = track.visitor_id
                  JOIN crm_lead lead ON lead.id = link.lead_id
                  LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
                  LEFT JOIN website_page page ON page.id = track.page_id
                 WHERE %(where)s
                   AND track.url IS NOT NULL
                   AND track.visit_datetime >= %(since)s
                   AND %(is_open)s
            )
            SELECT DISTINCT ON (view.dedup_key) view.*
              FROM view
             WHERE NOT EXISTS (SELECT 1 FROM prospect_engagement_event event
                                WHERE event.dedup_key = view.dedup_key)
             ORDER BY view.dedup_key, view.visit_datetime, view.track_id
            """,
                links=self._prospect_visitor_leads(),
                where=where,
                slot=VIEW_SLOT_SECONDS,
                since=fields.Datetime.now() - timedelta(days=CATCH_UP_DAYS),
                is_open=rules.is_open(),
            )
        )
        rows.sort(key=lambda row: (row["visit_datetime"], row["track_id"]))
        return [
            {
                "lead_id": row["lead_id"],
                "event_type": "page_view",
                "date": row["visit_datetime"],
                "res_model": "website.track",
                "res_id": row["track_id"],
                "description": row["url"],
                "dedup_key": row["dedup_key"],
                "is_hot": row["is_hot"],
            }
            for row in rows
        ]
