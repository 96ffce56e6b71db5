# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The calling window, read in the callee's local time.

Pure functions (no database): a number's time zones come from phonenumbers
through the project's one parser (tvcc.phone); a campaign may call a number
only when the local time is inside its window in every zone the number may
be in (an Australian mobile may be in Perth or in Sydney).
"""
import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from phonenumbers import timezone as phone_timezone

from tvcc import phone

# phonenumbers' answer when it cannot tell
UNKNOWN_ZONE = 'Etc/Unknown'


def callee_time_zones(number, default='Asia/Shanghai'):
    """The time zones of number as a sorted, comma separated text
    ('Asia/Shanghai'), default when phonenumbers cannot tell"""
    try:
        zones = phone_timezone.time_zones_for_number(phone.parse(number))
    except phone.InvalidPhoneNumber:
        zones = ()
    zones = sorted(z for z in zones if z != UNKNOWN_ZONE)
    return ','.join(zones) or default


def in_window(now, zones, start, end, weekdays):
    """Whether now (a naive UTC datetime) is inside [start, end[ on one of
    weekdays (0 = Monday) in every zone of zones (comma separated text)"""
    now = now.replace(tzinfo=dt.timezone.utc)
    for name in zones.split(','):
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return False
        local = now.astimezone(zone)
        if local.weekday() not in weekdays:
            return False
        if not (start <= local.time().replace(tzinfo=None) < end):
            return False
    return True
