# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields)
from .guard import ClientGuardMixin

from .configuration import ConfigChangeMixin
from .exceptions import CalendarValidationError

WEEKDAYS = [
    ('0', "Monday"), ('1', "Tuesday"), ('2', "Wednesday"), ('3', "Thursday"),
    ('4', "Friday"), ('5', "Saturday"), ('6', "Sunday"),
    ]


def calendar_state(hours, holidays, moment):
    """Return 'holiday', 'open' or 'closed' for a local datetime.

    hours: iterable of (weekday, start, end) with weekday 0 = Monday;
    holidays: {date: (closed, start, end)}; an open holiday (调休, a working
    weekend) uses its own hours, or Monday's hours when it has none.
    """
    day, now, weekday = moment.date(), moment.time(), moment.weekday()
    if day in holidays:
        closed, start, end = holidays[day]
        if closed:
            return 'holiday'
        if start and end:
            return 'open' if start <= now < end else 'closed'
        weekday = 0
    for day_of_week, start, end in hours:
        if day_of_week == weekday and start <= now < end:
            return 'open'
    return 'closed'


class Calendar(ClientGuardMixin, ConfigChangeMixin, DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'callcenter.calendar'
    __string__ = "Business Hours"

    name = fields.Char("Name", required=True)
    hours = fields.One2Many(
        'callcenter.calendar.hours', 'calendar', "Opening Hours")
    holidays = fields.One2Many(
        'callcenter.calendar.holiday', 'calendar', "Holidays")

    def state_at(self, moment):
        "Return 'open', 'closed' or 'holiday' at a local datetime"
        return calendar_state(
            [(int(h.weekday), h.start_time, h.end_time) for h in self.hours],
            {h.date: (h.closed, h.start_time, h.end_time)
                for h in self.holidays},
            moment)


class CalendarHours(ClientGuardMixin, ConfigChangeMixin, ModelSQL, ModelView):
    __name__ = 'callcenter.calendar.hours'
    __string__ = "Opening Hours"

    calendar = fields.Many2One(
        'callcenter.calendar', "Calendar", required=True, ondelete='CASCADE')
    weekday = fields.Selection(WEEKDAYS, "Weekday", required=True, sort=False)
    start_time = fields.Time("Opens", required=True)
    end_time = fields.Time("Closes", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('weekday', 'ASC'), ('start_time', 'ASC'), ('id', 'ASC')]

    @classmethod
    def validate_fields(cls, hours, field_names):
        super().validate_fields(hours, field_names)
        for line in hours:
            if line.start_time >= line.end_time:
                raise CalendarValidationError(gettext(
                        'tv_callcenter.msg_calendar_hours_order',
                        calendar=line.calendar.rec_name,
                        start=line.start_time, end=line.end_time))


class CalendarHoliday(ClientGuardMixin, ConfigChangeMixin, ModelSQL, ModelView):
    __name__ = 'callcenter.calendar.holiday'
    __string__ = "Holiday"

    calendar = fields.Many2One(
        'callcenter.calendar', "Calendar", required=True, ondelete='CASCADE')
    date = fields.Date("Date", required=True)
    name = fields.Char("Name", required=True)
    closed = fields.Boolean(
        "Closed", help="Untick for a working day on a weekend (调休).")
    start_time = fields.Time("Opens")
    end_time = fields.Time("Closes")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('date_unique', Unique(t, t.calendar, t.date),
                'tv_callcenter.msg_calendar_holiday_unique'),
            ]
        cls._order = [('date', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_closed(cls):
        return True
