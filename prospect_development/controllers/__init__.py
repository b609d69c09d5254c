from . import main
from . import tier_report
from . import tracking
