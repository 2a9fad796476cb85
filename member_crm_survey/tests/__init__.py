from . import test_member_nps
from . import test_survey_privacy
