from . import test_website_signals
