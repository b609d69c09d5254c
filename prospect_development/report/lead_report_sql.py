"""What the reports over leads read the same way: the lead with its stage, its
company (currency), its customer and its latest sequence enrolment."""

from odoo.tools import SQL


def lead_report_columns():
    """The columns every report with one row per lead starts with: the lead, whose
    it is (company and its currency, salesperson, team) and its customer."""
    return SQL(
        """lead.id,
           lead.id AS lead_id,
           lead.company_id,
           company.currency_id,
           lead.user_id,
           lead.team_id,
           partner.commercial_partner_id AS partner_id"""
    )


def lead_report_from():
    """``FROM`` clause of a report with one row per lead (``lead``), ``stage``,
    ``company``, ``partner`` and ``enrolment`` (its latest sequence) joined."""
    return SQL(
        """
          FROM crm_lead lead
          LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
          LEFT JOIN res_company company ON company.id = lead.company_id
          LEFT JOIN res_partner partner ON partner.id = lead.partner_id
          LEFT JOIN (
               SELECT lead_id,
                      (ARRAY_AGG(sequence_id ORDER BY id DESC))[1] AS sequence_id
                 FROM prospect_sequence_enrollment
                GROUP BY lead_id
          ) enrolment ON enrolment.lead_id = lead.id
        """
    )
