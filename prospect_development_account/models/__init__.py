from . import prospect_rescore_engine
from . import res_config_settings
