from . import prospect_sequence_report
