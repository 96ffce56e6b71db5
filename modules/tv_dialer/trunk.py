# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import PoolMeta

from tvcc import phone

from .exceptions import TrunkCallerIDError


class Trunk(metaclass=PoolMeta):
    "The number outbound campaigns present through the trunk"
    __name__ = 'callcenter.trunk'

    dialer_caller_id = fields.Char("Outbound Caller ID",
        help="The number the callees of outbound campaigns see when the "
        "campaign has no caller ID of its own (a number the carrier "
        "assigned to this trunk).")

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        return phone.normalize_field(values, 'dialer_caller_id',
            lambda raw: TrunkCallerIDError(gettext(
                    'tv_dialer.msg_campaign_caller_id_invalid',
                    number=raw)))
