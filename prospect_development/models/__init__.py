# first: the models below inherit it
from . import prospect_selection_order_mixin
from . import crm_lead
from . import mail_activity
from . import mail_thread
from . import prospect_cadence_engine
from . import prospect_cadence_rule
from . import prospect_care_engine
from . import prospect_care_holiday
from . import prospect_care_log
from . import prospect_feedback_card
from . import prospect_lead_history
from . import prospect_rescore_engine
from . import prospect_sequence
from . import prospect_sequence_enrollment
from . import prospect_sequence_step
from . import res_config_settings
from . import res_partner
