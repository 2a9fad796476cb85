from . import test_marketing_foundation
from . import test_marketing_erasure
