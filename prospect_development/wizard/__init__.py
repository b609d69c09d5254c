from . import prospect_abandon_wizard
from . import prospect_handover_wizard
from . import prospect_sequence_enroll_wizard
from . import prospect_tier_report
from . import prospect_outcome_wizard
from . import prospect_visit_round_wizard
from . import prospect_calibration_wizard
from . import prospect_rebalance_wizard
