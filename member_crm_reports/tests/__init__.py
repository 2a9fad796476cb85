from . import test_reports_foundation
