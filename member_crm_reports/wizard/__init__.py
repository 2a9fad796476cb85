from . import member_report_print
