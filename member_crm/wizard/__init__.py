from . import member_tier_change
from . import member_tier_simulation
from . import member_privacy
from . import member_import
from . import loyalty_card_update_balance
from . import base_partner_merge
