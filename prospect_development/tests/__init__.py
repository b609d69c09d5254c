from . import test_crm_lead
from . import test_rescore
from . import test_rescore_engine
from . import test_rules
from . import test_security
from . import test_settings
from . import test_ui
from . import test_views
