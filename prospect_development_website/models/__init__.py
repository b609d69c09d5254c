from . import crm_lead
from . import prospect_rescore_engine
from . import website_page
from . import website_page_properties
from . import website_track
from . import website_visitor
