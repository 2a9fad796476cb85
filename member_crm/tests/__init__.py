from . import test_foundation
from . import test_demo_history
