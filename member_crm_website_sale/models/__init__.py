from . import member_timeline
