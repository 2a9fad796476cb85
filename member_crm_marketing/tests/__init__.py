from . import test_marketing_foundation
from . import test_marketing_erasure
from . import test_member_recommendation
from . import test_campaign_launch
from . import test_campaign_attribution
from . import test_campaign_mailing
from . import test_campaign_review_fixes
