from . import test_foundation
from . import test_demo_history
from . import test_member_pos
from . import test_member_tiers
from . import test_member_concurrency
from . import test_member_review
from . import test_member_benefits
from . import test_member_pos_tour
