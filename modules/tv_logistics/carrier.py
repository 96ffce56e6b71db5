# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import Unique, fields
from trytond.pool import PoolMeta
from trytond.modules.tv_callcenter.guard import ClientGuardMixin
from tvcc import phone

from .exceptions import CourierValidationError


class Carrier(ClientGuardMixin, metaclass=PoolMeta):
    "A courier is a Tryton carrier with the data the logistics clerk needs"
    __name__ = 'carrier'

    code = fields.Char(
        "Courier Code",
        help="Short code used in export files and tracking imports "
        "(e.g. SF, EMS, ZTO).")
    contact_name = fields.Char("Contact")
    contact_phone = fields.Char("Contact Phone")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'tv_logistics.msg_courier_code_unique'),
            ]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('code'):
            values['code'] = values['code'].strip().upper()
        return phone.normalize_field(values, 'contact_phone',
            lambda raw: CourierValidationError(gettext(
                    'tv_logistics.msg_courier_phone_invalid', phone=raw)))
