from . import test_member_timeline_product_view
