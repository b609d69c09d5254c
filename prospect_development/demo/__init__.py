from . import prospect_demo_data
