from odoo.tools import SQL
from odoo.tools.sql import column_exists, create_column

from .models.prospect_rescore_engine import ENGINE_COLUMNS, STATE_TABLES


def pre_init_hook(env):
    """Create the columns the rescoring engine writes before the ORM does: it would
    compute the stored computed ones lead by lead, and fill the others with their
    default, over a CRM that may hold millions of leads. The post-init hook fills
    them all in one set-based pass instead."""
    for column, column_type in ENGINE_COLUMNS.items():
        if not column_exists(env.cr, "crm_lead", column):
            create_column(env.cr, "crm_lead", column, column_type)


def post_init_hook(env):
    """Rank the existing customers and grade the existing leads at once, in SQL,
    within the install's transaction."""
    env["prospect.rescore.engine"]._run(auto_commit=False)


def uninstall_hook(env):
    """Drop the tables the rescoring engine keeps from one night to the next: no
    model owns them."""
    for table in STATE_TABLES:
        env.cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(table)))
