from odoo import models
from odoo.tools import SQL

# the add-on and its companions (prospect_development_account, ...)
PROSPECT_MODULE = "prospect_development"


class ProspectSelectionOrderMixin(models.AbstractModel):
    """Groups and sorts the selections this add-on declares in their declaration
    order: Super, Large, Medium, Small, Inactive, Prospect, Suspect, Other; A to E;
    urgent to slow. PostgreSQL would sort their keys alphabetically, and the pivot and
    the graph (``read_group`` with ``lazy=False``, where ``group_expand`` does not
    apply) show the groups in the order the database returns them. Odoo's own
    selections keep Odoo's order."""

    _name = "prospect.selection.order.mixin"
    _description = "Selections in declaration order"

    def _prospect_is_ordered_selection(self, field):
        return (
            field is not None
            and field.type == "selection"
            and field.store
            and (field._module or "").startswith(PROSPECT_MODULE)
        )

    def _prospect_selection_rank(self, field, sql_field):
        """Position of the value in the declaration (NULL, and a value no longer
        declared, sort after the others, as NULL does)."""
        return SQL(
            "array_position(%s::varchar[], %s::varchar)",
            field.get_values(self.env),
            sql_field,
        )

    def _read_group_orderby(self, order, groupby_terms, query):
        ranked = dict(groupby_terms)
        for spec, sql_field in groupby_terms.items():
            field = self._fields.get(spec)
            if self._prospect_is_ordered_selection(field):
                ranked[spec] = self._prospect_selection_rank(field, sql_field)
        return super()._read_group_orderby(order, ranked, query)

    def _order_field_to_sql(self, alias, field_name, direction, nulls, query):
        field = self._fields.get(field_name)
        if not self._prospect_is_ordered_selection(field):
            return super()._order_field_to_sql(
                alias, field_name, direction, nulls, query
            )
        sql_field = self._field_to_sql(alias, field_name, query)
        if query.groupby:
            query.groupby = SQL("%s, %s", query.groupby, sql_field)
        rank = self._prospect_selection_rank(field, sql_field)
        return SQL("%s %s %s", rank, direction, nulls)
