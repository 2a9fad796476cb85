from . import member_complaint
from . import member_ledger
from . import survey_user_input
from . import res_partner_privacy
