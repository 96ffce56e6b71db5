# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.modules.tv_callcenter.guard import ClientGuardMixin
from tvcc import phone

from .exceptions import DNCValidationError


class DoNotCall(ClientGuardMixin, ModelSQL, ModelView):
    "A number no campaign may call (do-not-call list, 免打扰)"
    __name__ = 'dialer.dnc'
    __string__ = "Do-Not-Call Entry"

    number = fields.Char("Number", required=True)
    reason = fields.Char("Reason", required=True,
        help="E.g. the customer asked not to be called again.")
    expires = fields.Date("Expires",
        help="Leave empty for an entry that never expires.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('number_unique', Unique(t, t.number),
                'tv_dialer.msg_dnc_unique'),
            ]
        cls._order = [('number', 'ASC'), ('id', 'ASC')]

    def get_rec_name(self, name):
        return self.number

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        return phone.normalize_field(values, 'number',
            lambda raw: DNCValidationError(gettext(
                    'tv_dialer.msg_dnc_number_invalid', number=raw)))
