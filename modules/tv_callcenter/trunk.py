# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields)
from trytond.pyson import Eval
from .guard import ClientGuardMixin
from tvcc import phone

from tvcc import asterisk_values

from .asterisk import AsteriskValuesMixin
from .configuration import ConfigChangeMixin
from .exceptions import TrunkValidationError


class Trunk(AsteriskValuesMixin, ClientGuardMixin, ConfigChangeMixin, DeactivableMixin, ModelSQL, ModelView):
    "A SIP trunk from the carrier or the E1 voice gateway"
    __name__ = 'callcenter.trunk'
    __string__ = "SIP Trunk"

    name = fields.Char("Name", required=True)
    code = fields.Char(
        "Code", required=True,
        help="PJSIP endpoint name: lower-case letters, digits, - and _.")
    host = fields.Char(
        "Host", required=True,
        help="Address of the carrier or voice gateway (calls from it are "
        "identified by this address).")
    port = fields.Integer("Port", required=True)
    username = fields.Char("Username",
        help="For carriers that need registration or digest auth.")
    password = fields.Char("Password")
    register = fields.Boolean("Register",
        states={'invisible': ~Eval('username')},
        help="Register to the carrier (needs a username and password).")
    codecs = fields.Char("Codecs", required=True)
    max_channels = fields.Integer(
        "Channels", help="Simultaneous calls the trunk carries (30 per E1).")
    allow_international = fields.Boolean("Allow International Calls",
        help="Outbound campaigns through this trunk may dial international "
        "numbers (00...). Off: only mainland mobiles and landlines.")
    dids = fields.One2Many('callcenter.did', 'trunk', "Numbers")

    _asterisk_values = {
        'host': 'host', 'username': 'username', 'password': 'secret',
        'codecs': 'codecs'}

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('code_unique', Unique(t, t.code),
                'tv_callcenter.msg_trunk_code_unique'),
            ]

    @classmethod
    def default_port(cls):
        return 5060

    @classmethod
    def default_codecs(cls):
        return 'alaw,ulaw,g722'

    @classmethod
    def validate_fields(cls, trunks, field_names):
        super().validate_fields(trunks, field_names)
        for trunk in trunks:
            if not asterisk_values.is_safe('code', trunk.code):
                raise TrunkValidationError(gettext(
                        'tv_callcenter.msg_trunk_code_invalid',
                        code=trunk.code))
            if not (0 < (trunk.port or 0) < 65536):
                raise TrunkValidationError(gettext(
                        'tv_callcenter.msg_trunk_port_invalid',
                        trunk=trunk.rec_name, port=trunk.port))
            if trunk.register and not (trunk.username and trunk.password):
                raise TrunkValidationError(gettext(
                        'tv_callcenter.msg_trunk_register_credentials',
                        trunk=trunk.rec_name))


class DID(ClientGuardMixin, ConfigChangeMixin, DeactivableMixin, ModelSQL, ModelView):
    "A number callers dial (a 400 hotline): where its calls go"
    __name__ = 'callcenter.did'
    __string__ = "Called Number"

    number = fields.Char("Number", required=True)
    trunk = fields.Many2One('callcenter.trunk', "Trunk", ondelete='SET NULL')
    flow = fields.Many2One(
        'callcenter.ivr.flow', "IVR Flow",
        help="The flow a caller enters; empty: straight to the queue.")
    queue = fields.Many2One(
        'callcenter.queue', "Queue",
        states={'required': ~Eval('flow')},
        help="Used when there is no flow.")
    description = fields.Char("Description")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('number_unique', Unique(t, t.number),
                'tv_callcenter.msg_did_number_unique'),
            ]

    def get_rec_name(self, name):
        if self.description:
            return f'{self.number} {self.description}'
        return self.number

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        bool_op = 'AND' if operator.startswith(('!', 'not ')) else 'OR'
        return [bool_op,
            ('number', operator, operand, *extra),
            ('description', operator, operand, *extra),
            ]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        return phone.normalize_field(values, 'number',
            lambda raw: TrunkValidationError(gettext(
                    'tv_callcenter.msg_did_number_invalid', number=raw)))

    @classmethod
    def validate_fields(cls, dids, field_names):
        super().validate_fields(dids, field_names)
        for did in dids:
            if did.flow and not did.flow.entry:
                raise TrunkValidationError(gettext(
                        'tv_callcenter.msg_did_flow_no_entry',
                        number=did.number, flow=did.flow.rec_name))
