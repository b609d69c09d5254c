"""Repository-wide pytest setup for the Odoo add-on tests (run by scripts/test.sh).

pytest-odoo imports ``odoo.tests`` while ``test_enable`` is still off, and Odoo 18
then logs a misleading ERROR "Importing test framework ..." with a stack trace at
every run. Import the test framework here first, with ``test_enable`` switched on
only for that import, so real errors stand out in the test output.
"""

from odoo.tools import config

_test_enable = config["test_enable"]
config["test_enable"] = True
try:
    import odoo.tests  # noqa: F401
finally:
    config["test_enable"] = _test_enable
