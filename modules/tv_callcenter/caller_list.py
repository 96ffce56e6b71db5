# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import datetime as dt

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields)
from .guard import ClientGuardMixin
from tvcc import phone

from .configuration import ConfigChangeMixin
from .exceptions import CallerListValidationError


class CallerList(ClientGuardMixin, ConfigChangeMixin, DeactivableMixin, ModelSQL, ModelView):
    "A number on the blacklist or on the VIP (white) list"
    __name__ = 'callcenter.caller_list'
    __string__ = "Caller List Entry"

    number = fields.Char("Number", required=True)
    kind = fields.Selection([
            ('blacklist', "Blacklist"),
            ('vip', "VIP (whitelist)"),
            ], "List", required=True)
    reason = fields.Char("Reason", required=True)
    expires = fields.Date(
        "Expires", help="Leave empty for an entry that never expires.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('number_kind_unique', Unique(t, t.number, t.kind),
                'tv_callcenter.msg_caller_list_unique'),
            ]
        cls._order = [
            ('kind', 'ASC'), ('number', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_kind(cls):
        return 'blacklist'

    def get_rec_name(self, name):
        return self.number

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        return phone.normalize_field(values, 'number',
            lambda raw: CallerListValidationError(gettext(
                    'tv_callcenter.msg_caller_list_number_invalid',
                    number=raw)))

    @classmethod
    def classes_of(cls, number, date=None):
        "Return the set of lists ('blacklist', 'vip') holding number today"
        date = date or dt.date.today()
        entries = cls.search([
                ('number', '=', number),
                ['OR', ('expires', '=', None), ('expires', '>=', date)],
                ])
        return {e.kind for e in entries}
