"""Where things live and which ports they use: the one place for both.

The Asterisk runtime script, the set-up commands, the supervisor behind
``make run``, the demo data and the tests all read these values, so the node
record in the database and the rendered manager.conf can never disagree.
Every value can be overridden from the environment (``TVCC_...``).
"""
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get('TVCC_VAR', PROJECT / 'var'))
# Machine-wide, like the Asterisk root they are rendered into: every checkout
# on this machine drives the same instances with the same secrets.
SECRETS = Path(os.environ.get('TVCC_SECRETS', '/var/lib/tvcc/secrets'))
LOG = VAR / 'log'
RUN = VAR / 'run'
SAO_ROOT = VAR / 'sao' / 'package'
TRYTOND_CONF = VAR / 'trytond.conf'
ASTERISK_ROOT = Path(
    os.environ.get('TVCC_ASTERISK_ROOT', '/var/cache/tvcc/asterisk-sid'))
# Where an instance's configuration, spool and logs live inside the root.
INSTANCE_BASE = '/srv/tvcc'


@dataclass(frozen=True)
class Instance:
    "One Asterisk + bridge + trytond set: 'run' for make run, 'test' for CI"

    name: str
    database: str
    web_port: int
    ami_port: int
    agi_port: int
    sip_port: int
    rtp_start: int
    rtp_end: int
    # Asterisk's HTTP server (loopback only) and its TLS side: the
    # browser phones' SIP over WebSocket (wss://host:wss_port/ws).
    http_port: int
    wss_port: int

    @property
    def node_code(self):
        return self.name

    @property
    def path(self):
        "The instance folder as Asterisk sees it (inside the chroot)"
        return f'{INSTANCE_BASE}/{self.name}'

    @property
    def host_path(self):
        "The instance folder as the host sees it"
        return ASTERISK_ROOT / self.path.lstrip('/')

    def _secret_file(self, kind):
        "Generated per installation, or TVCC_<NAME>_<KIND>_SECRET_FILE"
        override = os.environ.get(
            f'TVCC_{self.name.upper()}_{kind.upper()}_SECRET_FILE')
        if override:
            return Path(override)
        return SECRETS / f'{kind}-{self.name}.secret'

    def _secret(self, kind, create=True):
        return secret(self._secret_file(kind), create)

    @property
    def ami_secret_file(self):
        return self._secret_file('ami')

    @property
    def ami_secret_ref(self):
        return f'file:{self.ami_secret_file}'

    @property
    def ami_username(self):
        return 'tvcc'

    def ami_secret(self, create=True):
        "Return this installation's AMI secret, generating it the first time"
        return self._secret('ami', create)

    @property
    def agi_secret_file(self):
        return self._secret_file('agi')

    @property
    def agi_secret_ref(self):
        return f'file:{self.agi_secret_file}'

    def agi_secret(self, create=True):
        """This installation's FastAGI token, generating it the first time:
        Asterisk sends SHA1(token + UNIQUEID) in every AGI URL (never the
        token itself), the bridge refuses requests without a matching key"""
        return self._secret('agi', create)

    @property
    def admin_password_file(self):
        """The generated admin password of 'run' (make run), or of an
        instance given TVCC_<NAME>_ADMIN_SECRET_FILE; None: the demo
        password (the test instances, whose tests log in as admin)"""
        if self.name != 'run' and not os.environ.get(
                f'TVCC_{self.name.upper()}_ADMIN_SECRET_FILE'):
            return None
        return self._secret_file('admin')

    def admin_password(self):
        "The password of the admin account of this instance's database"
        if self.admin_password_file is None:
            return DEMO_PASSWORD
        return secret(self.admin_password_file)

    def wss_certificate(self):
        """(certificate, key) files of a production certificate for the
        browser phones' WSS (host paths, copied into the instance folder at
        each start), or None: a self-signed one is generated once per
        installation. TVCC_<NAME>_WSS_CERT_FILE / _WSS_KEY_FILE, else
        TVCC_WSS_CERT_FILE / TVCC_WSS_KEY_FILE."""
        prefix = f'TVCC_{self.name.upper()}_'
        cert = (os.environ.get(prefix + 'WSS_CERT_FILE')
            or os.environ.get('TVCC_WSS_CERT_FILE'))
        key = (os.environ.get(prefix + 'WSS_KEY_FILE')
            or os.environ.get('TVCC_WSS_KEY_FILE'))
        if cert and key:
            return Path(cert), Path(key)
        return None


def secret(path, create=True):
    """The secret in path (one line, mode 0600 in a 0700 folder), generated
    the first time"""
    path = Path(path)
    if not path.exists():
        if not create:
            raise FileNotFoundError(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, 'w') as file:
                file.write(secrets.token_urlsafe(24) + '\n')
    return path.read_text().strip()


# The PostgreSQL role trytond and the bridge connect as: it owns the
# instances' databases and is no superuser (bootstrap creates it when it
# connects as a superuser).
DATABASE_ROLE = os.environ.get('TVCC_DATABASE_ROLE', 'tvcc')
DATABASE_ROLE_SECRET = Path(os.environ.get('TVCC_DATABASE_ROLE_SECRET_FILE',
        SECRETS / f'postgres-{DATABASE_ROLE}.secret'))


def _env_int(name, default):
    return int(os.environ.get(name, default))


def instance(name):
    "Return the Instance called name ('run' or 'test')"
    defaults = {
        'run': dict(database='tvcc', web_port=8000, ami_port=5038,
            agi_port=4573, sip_port=5060, rtp_start=10000, rtp_end=10999,
            http_port=8088, wss_port=8089),
        'test': dict(database='tvcc_test', web_port=18000, ami_port=15038,
            agi_port=14573, sip_port=15060, rtp_start=11000, rtp_end=11999,
            http_port=18088, wss_port=18089),
        # Started and stopped by the tests of start-up and shutdown
        # themselves, beside the running 'test' instance.
        'probe': dict(database=os.environ.get('TVCC_TEST_DATABASE',
                'tvcc_test'), web_port=28000, ami_port=25038,
            agi_port=24573, sip_port=25060, rtp_start=12000, rtp_end=12999,
            http_port=28088, wss_port=28089),
        # Developers' own instances, to run a suite beside the 'test' one
        # (TVCC_TEST_INSTANCE=dev1 after bootstrap --instance dev1).
        **{f'dev{n}': dict(database=f'tvcc_dev{n}', web_port=28000 + n * 100,
                ami_port=25038 + n * 100, agi_port=24573 + n * 100,
                sip_port=25060 + n * 100, rtp_start=12000 + n * 1000,
                rtp_end=12999 + n * 1000, http_port=28088 + n * 100,
                wss_port=28089 + n * 100) for n in (1, 2, 3, 4)},
        }[name]
    prefix = f'TVCC_{name.upper()}_'
    values = {
        key: (os.environ.get(prefix + key.upper(), value)
            if key == 'database'
            else _env_int(prefix + key.upper(), value))
        for key, value in defaults.items()}
    return Instance(name=name, **values)


INSTANCES = ('run', 'test', 'probe', 'dev1', 'dev2', 'dev3', 'dev4')

DEMO_PASSWORD = os.environ.get('TVCC_DEMO_PASSWORD', 'tvcc-demo-2026')
