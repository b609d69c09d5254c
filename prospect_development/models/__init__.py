from . import crm_lead
from . import prospect_demo_data
from . import prospect_lead_history
from . import prospect_rescore_engine
from . import res_config_settings
