from . import prospect_sequence_report
from . import prospect_workload_report
