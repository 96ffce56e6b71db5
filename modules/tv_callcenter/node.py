# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import ipaddress

from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, Unique, fields
from .guard import ClientGuardMixin

from .asterisk import AsteriskValuesMixin
from .configuration import ConfigChangeMixin
from .exceptions import NodeValidationError

SECRET_SCHEMES = ('env:', 'file:')


def is_loopback(host):
    "Return True when host names this machine's loopback interface only"
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class AsteriskNode(AsteriskValuesMixin, ClientGuardMixin, ConfigChangeMixin, DeactivableMixin, ModelSQL, ModelView):
    "Asterisk Node"
    __name__ = 'callcenter.node'
    __string__ = "Asterisk Node"

    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char(
        "Code", required=True,
        help="Short identifier the telephony bridge is started with.")
    ami_host = fields.Char(
        "AMI Host", required=True,
        help="The bridge runs beside Asterisk: AMI is reached on loopback.")
    ami_port = fields.Integer("AMI Port", required=True)
    ami_username = fields.Char("AMI Username", required=True)
    ami_secret_ref = fields.Char(
        "AMI Secret Reference", required=True,
        help="Where the bridge reads the AMI secret: "
        "\"env:VARIABLE\" or \"file:/absolute/path\". "
        "The secret itself is never stored in the database.")
    agi_host = fields.Char(
        "FastAGI Bind Host", required=True,
        help="Loopback address the bridge serves FastAGI on.")
    agi_port = fields.Integer("FastAGI Port", required=True)
    # Not required in the table (nodes made before it), but the bridge
    # refuses to start without it.
    agi_secret_ref = fields.Char(
        "FastAGI Token Reference",
        help="Where the bridge reads the token Asterisk puts in every "
        "FastAGI URL (requests without it are refused; the bridge does not "
        "start without it): "
        "\"env:VARIABLE\" or \"file:/absolute/path\".")
    instance_path = fields.Char(
        "Asterisk Folder", required=True,
        help="The instance folder as Asterisk sees it (configuration, "
        "spool, logs), e.g. /srv/tvcc/run.")
    host_path = fields.Char(
        "Bridge Folder", required=True,
        help="The same folder as the bridge sees it, e.g. "
        "/var/cache/tvcc/asterisk-sid/srv/tvcc/run under the development "
        "chroot, or /srv/tvcc/run in containers.")
    wss_port = fields.Integer("Browser Phone Port", required=True,
        help="The port of Asterisk's secure WebSocket (WSS) the browser "
        "phones register to.")
    wss_host = fields.Char("Browser Phone Address",
        help="The host name agents' browsers reach that WSS port at (the "
        "name its certificate is for). Empty: the address the agent opened "
        "the web client with.")
    ice_servers = fields.Text("ICE Servers",
        help="STUN and TURN servers for the browser phones, one a line: "
        "\"stun:host:port\" or \"turn:host:port username password\". "
        "None are needed when browsers reach Asterisk directly (a local "
        "network).")
    description = fields.Text("Description")
    config_applied_serial = fields.Integer(
        "Applied Serial", readonly=True,
        help="The serial the bridge last rendered into Asterisk.")
    config_applied_at = fields.DateTime("Applied At", readonly=True)
    queue_log_position = fields.Char("queue_log Position", readonly=True)
    cdr_position = fields.Char("CDR Position", readonly=True)

    _asterisk_values = {
        'ami_username': 'username', 'instance_path': 'path',
        'host_path': 'path', 'wss_host': 'host'}

    # Written by the bridge: not a configuration change.
    _runtime_fields = frozenset({
            'config_applied_serial', 'config_applied_at',
            'queue_log_position', 'cdr_position'})

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('code_unique', Unique(t, t.code),
                'tv_callcenter.msg_node_code_unique'),
            ]
        cls._order.insert(0, ('code', 'ASC'))

    @classmethod
    def default_config_applied_serial(cls):
        return 0

    @classmethod
    def default_ami_host(cls):
        return '127.0.0.1'

    @classmethod
    def default_ami_port(cls):
        return 5038

    @classmethod
    def default_ami_username(cls):
        return 'tvcc'

    @classmethod
    def default_agi_host(cls):
        return '127.0.0.1'

    @classmethod
    def default_agi_port(cls):
        return 4573

    @classmethod
    def default_wss_port(cls):
        return 8089

    @classmethod
    def validate_fields(cls, nodes, field_names):
        super().validate_fields(nodes, field_names)
        cls.check_loopback(nodes, field_names)
        cls.check_ports(nodes, field_names)
        cls.check_secret_ref(nodes, field_names)

    @classmethod
    def check_loopback(cls, nodes, field_names=None):
        if field_names and not (field_names & {'ami_host', 'agi_host'}):
            return
        for node in nodes:
            for name in ('ami_host', 'agi_host'):
                host = getattr(node, name)
                if not is_loopback(host):
                    raise NodeValidationError(gettext(
                            'tv_callcenter.msg_node_not_loopback',
                            node=node.rec_name, host=host,
                            field=cls.__names__(name)['field']))

    @classmethod
    def check_ports(cls, nodes, field_names=None):
        if field_names and not (
                field_names & {'ami_port', 'agi_port', 'wss_port'}):
            return
        for node in nodes:
            for name in ('ami_port', 'agi_port', 'wss_port'):
                port = getattr(node, name)
                if not (0 < port < 65536):
                    raise NodeValidationError(gettext(
                            'tv_callcenter.msg_node_port_invalid',
                            node=node.rec_name, port=port,
                            field=cls.__names__(name)['field']))
            if (node.ami_port == node.agi_port
                    and node.ami_host == node.agi_host):
                raise NodeValidationError(gettext(
                        'tv_callcenter.msg_node_port_shared',
                        node=node.rec_name, port=node.ami_port))

    @classmethod
    def check_secret_ref(cls, nodes, field_names=None):
        names = {'ami_secret_ref', 'agi_secret_ref'}
        if field_names:
            names &= set(field_names)
        for node in nodes:
            for name in sorted(names):
                ref = getattr(node, name) or ''
                if name == 'agi_secret_ref' and not ref:
                    continue
                if (not ref.startswith(SECRET_SCHEMES)
                        or not ref.split(':', 1)[1].strip()
                        or (ref.startswith('file:')
                            and not ref[len('file:'):].startswith('/'))):
                    raise NodeValidationError(gettext(
                            'tv_callcenter.msg_node_secret_ref_invalid',
                            node=node.rec_name,
                            field=cls.__names__(name)['field']))
