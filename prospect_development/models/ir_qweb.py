from lxml import etree

from odoo import models

# The context key of a compilation memo: {key: compiled template}.
COMPILE_MEMO = "prospect_qweb_memo"


class IrQweb(models.AbstractModel):
    _inherit = "ir.qweb"

    def _compile(self, template):
        """Compile an inline template once per memo. ``mail.render.mixin`` renders
        a QWeb mail body by parsing and compiling it again for every record (only
        templates stored as views are cached); a caller that renders one body for
        many records puts a dict under the ``prospect_qweb_memo`` context key, and
        the same source compiled with the same options is compiled once. Without
        the key, nothing changes."""
        memo = self.env.context.get(COMPILE_MEMO)
        if memo is None or not isinstance(template, etree._Element):
            return super()._compile(template)
        context = self.env.context
        # what Odoo keys its own compiled views by, and the options that change
        # the compiled code of an inline template
        key = (
            etree.tostring(template),
            *(context.get(name) for name in self._get_template_cache_keys()),
            context.get("preserve_comments"),
            context.get("dev_mode"),
        )
        if key not in memo:
            memo[key] = super()._compile(template)
        return memo[key]
