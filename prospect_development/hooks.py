from odoo.tools import SQL

# Stored computes of crm.lead that the rescoring engine fills in SQL.
ENGINE_COMPUTED_COLUMNS = (
    ("prospect_grade", "varchar"),
    ("contact_urgency", "varchar"),
    ("next_contact_date", "date"),
    ("development_cost", "numeric"),
)


def pre_init_hook(env):
    """Create the columns of the stored computed fields before the ORM does: it
    would compute them lead by lead over a CRM that may hold millions of leads. The
    post-init hook fills them in one set-based pass instead."""
    for column, column_type in ENGINE_COMPUTED_COLUMNS:
        env.cr.execute(
            SQL(
                "ALTER TABLE crm_lead ADD COLUMN IF NOT EXISTS %s %s",
                SQL.identifier(column),
                SQL(column_type),
            )
        )


def post_init_hook(env):
    """Rank the existing customers and grade the existing leads at once, in SQL,
    within the install's transaction."""
    env["prospect.rescore.engine"]._run(auto_commit=False)
