from . import member_report_order
from . import member_report_members
from . import member_report_dashboard
from . import member_report_tier_event
from . import member_report_campaign
from . import member_report_service
from . import member_report_pdf
