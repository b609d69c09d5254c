from . import prospect_sequence_report
from . import prospect_territory_report
from . import prospect_calibration_report
from . import prospect_cost_result_report
from . import prospect_workload_report
