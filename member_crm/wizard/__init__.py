from . import member_tier_change
from . import member_tier_simulation
