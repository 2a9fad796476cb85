from . import test_marketing_foundation
