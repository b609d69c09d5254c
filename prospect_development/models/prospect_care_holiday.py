from datetime import date

from odoo import api, fields, models
from odoo.exceptions import ValidationError

# Any leap year: February 29 is a valid holiday (greeted on the 28th otherwise).
_LEAP_YEAR = 2000


class ProspectCareHoliday(models.Model):
    """A yearly holiday on which key accounts receive greetings (or a gift)."""

    _name = "prospect.care.holiday"
    _description = "Holiday greeted for key accounts"
    _order = "month, day, id"

    name = fields.Char(required=True, translate=True)
    month = fields.Integer(
        required=True, help="Month of the holiday, from 1 (January) to 12."
    )
    day = fields.Integer(required=True, help="Day of the month of the holiday.")
    active = fields.Boolean(default=True)

    @api.constrains("month", "day")
    def _check_date(self):
        for holiday in self:
            try:
                date(_LEAP_YEAR, holiday.month, holiday.day)
            except ValueError:
                raise ValidationError(
                    self.env._(
                        "%(month)s/%(day)s is not a date: holiday %(name)s needs a "
                        "month from 1 to 12 and a day that exists in that month.",
                        month=holiday.month,
                        day=holiday.day,
                        name=holiday.name,
                    )
                ) from None
