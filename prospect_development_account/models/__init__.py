from . import prospect_rescore_engine
from . import prospect_settings
from . import res_config_settings
