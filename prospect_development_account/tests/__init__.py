from . import test_invoice_revenue
