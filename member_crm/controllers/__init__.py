from . import portal
from . import portal_enrol
from . import export
from . import privacy
