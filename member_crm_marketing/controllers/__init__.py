from . import main
from . import member_card_portal
