# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction

from tvcc import phone

from .exceptions import ConfigurationValidationError
from .guard import ClientGuardMixin


class Configuration(ClientGuardMixin, ModelSingleton, ModelSQL, ModelView):
    __name__ = 'callcenter.configuration'
    __string__ = "Call Center Configuration"

    default_queue = fields.Many2One(
        'callcenter.queue', "Default Queue",
        help="Where a call goes when routing fails (database unreachable, "
        "an error in a flow, an unknown number): a caller is never dropped.")
    centre_city = fields.Char(
        "Centre City",
        help="The city of the contact center as the phone number geocoder "
        "names it (e.g. 上海市). Callers from elsewhere are long-distance "
        "callers and can be answered first (saves 400 long-distance fees).")
    area_code = fields.Char(
        "Centre Area Code",
        help="The telephone area code of the centre's city (e.g. 021 for "
        "上海市, 0755 for 深圳市). Some trunks deliver local landline "
        "callers without it (8 digits): they are read as numbers of this "
        "area, as if dialled with it.")
    screen_pop_url = fields.Char(
        "External Screen Pop URL",
        help="Opened in the agent's browser when a call rings, for external "
        "web business systems. Placeholders: {caller} {agent} {extension} "
        "{did} {call} {customer}; e.g. "
        "https://crm.example/pop?caller={caller}&agent={agent}")
    timezone = fields.Char(
        "Timezone", required=True,
        help="Business hours and holidays are read in this timezone.")
    abandon_threshold = fields.Integer(
        "Abandon Threshold (s)", required=True,
        domain=[('abandon_threshold', '>=', 0)],
        help="Call statistics: a caller who hangs up within this many "
        "seconds of waiting is not counted in the abandon rate "
        "(统计放弃电话数).")
    service_level_threshold = fields.Integer(
        "Service Level Threshold (s)", required=True,
        domain=[('service_level_threshold', '>=', 0)],
        help="Call statistics: the share of calls answered within this "
        "many seconds of waiting.")
    config_serial = fields.Integer(
        "Configuration Serial", readonly=True,
        help="Raised whenever telephony configuration changes; each bridge "
        "re-renders Asterisk when it differs from the serial it applied.")

    @classmethod
    def default_config_serial(cls):
        return 1

    @classmethod
    def default_abandon_threshold(cls):
        return 5

    @classmethod
    def default_service_level_threshold(cls):
        return 20

    @classmethod
    def default_timezone(cls):
        return 'Asia/Shanghai'

    @classmethod
    def default_centre_city(cls):
        return '上海市'

    @classmethod
    def default_area_code(cls):
        return '021'

    @classmethod
    def validate_fields(cls, configurations, field_names):
        super().validate_fields(configurations, field_names)
        if 'area_code' in field_names:
            for config in configurations:
                if config.area_code and not phone.area_code(
                        config.area_code):
                    raise ConfigurationValidationError(gettext(
                            'tv_callcenter.msg_configuration_area_code',
                            area_code=config.area_code))

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        if field_names != {'config_serial'}:
            bump_config_serial()

    @classmethod
    def get_serial(cls):
        "The current serial, read from the table (not the record cache)"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.config_serial, limit=1))
        row = cursor.fetchone()
        return row[0] if row else cls.default_config_serial()


def bump_config_serial():
    """Tell every bridge that the telephony configuration changed.

    Raw SQL on the configuration row, which bridges only read: the rows they
    write (their node's applied serial, log positions) are never this one,
    so a change never conflicts with a bridge at work.
    """
    Configuration = Pool().get('callcenter.configuration')
    table = Configuration.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.update(
            [table.config_serial], [table.config_serial + 1]))
    if not cursor.rowcount:
        # The singleton row does not exist yet: create it.
        Configuration.write([Configuration(1)], {'config_serial': 2})


class ConfigChangeMixin:
    "Records whose change must be rendered into Asterisk or the bridge cache"
    __slots__ = ()
    # Fields that hold live state (written by the bridge or by presence
    # buttons): changing only these is not a configuration change.
    _runtime_fields = frozenset()

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        if mode == 'write' and field_names and field_names <= (
                cls._runtime_fields | {'write_date', 'write_uid'}):
            return
        bump_config_serial()
