from . import test_reports_foundation
from . import test_marketing_reports
from . import test_dashboard_tour
from . import test_pdf_reports
from . import test_report_security
from . import test_kpi_fixture
from . import test_xlsx_export
from . import test_kpi_membership_periods
