"""What may reach Asterisk: one allow-list per kind of value.

Every value the project renders into Asterisk's configuration (pjsip.conf,
queues.conf, extensions.conf...), sends in an AMI header or writes into an
AGI command passes here. The Tryton models refuse a value that fails where
it is entered (with a message naming the field); the bridge checks again
before it renders or sends anything, and skips what fails with a log line,
so a value written behind the forms' back (SQL, an old record) never becomes
a configuration line, a header or a command.

The lists are allow-lists: a kind says which characters and shapes it
accepts, never which it refuses. Line breaks, ';' (a comment in Asterisk's
configuration), '[' (a new section), ',' and '|' (argument separators),
quotes and '$' (dialplan expressions) fail every kind that could carry them.
"""
import ipaddress
import re

_PATTERNS = {
    # PJSIP endpoint names, queue, prompt and pause reason codes.
    'code': r'[a-z][a-z0-9_-]{0,39}',
    # An agent's extension (dialplan and PJSIP endpoint of the phone).
    'extension': r'[1-9][0-9]{2,5}',
    # A number dialled or presented as caller id: digits, E.164's '+'.
    'number': r'\+?[0-9]{3,20}',
    'mailbox': r'[0-9]{1,10}',
    # A voicemail box's PIN (entered on a phone's keypad).
    'pin': r'[0-9]{6,12}',
    # SIP user names (trunk authentication), AMI user names.
    'username': r'[A-Za-z0-9][A-Za-z0-9._+-]{0,63}',
    # Passwords in pjsip.conf: printable ASCII without ; # " ' \ , and
    # spaces (a comment, a quote or a separator for Asterisk).
    'secret': r'[A-Za-z0-9!$%&()*+\-./:<=>?@\[\]^_{}~]{1,128}',
    'codecs': r'[a-z0-9_]{2,20}(,[a-z0-9_]{2,20}){0,15}',
    'music_class': r'[A-Za-z0-9_-]{1,40}',
    # A caller id name: letters of any script, digits, spaces and a few
    # marks; no quote, angle bracket, separator or control character.
    'name': r'[\w .\'()\-\u3000-\u303f\uff01-\uff5e]{1,80}',
    # Asterisk's unique and linked ids: [system name-]epoch.sequence
    'linkedid': r'(?:[A-Za-z0-9_-]{1,40}-)?[0-9]{1,20}\.[0-9]{1,10}',
    # A channel name as AMI events report it (PJSIP/8001-0000002a,
    # Local/s@tvcc-caller-00000001;2).
    'channel': r'[A-Za-z]{2,12}/[A-Za-z0-9_.+@-]{1,80}(;[12])?',
    # An app_queue member or state interface.
    'interface': r'(Local/[0-9]{3,6}@tvcc-agents/n|PJSIP/[0-9]{3,6}'
        r'|Custom:tvcc[0-9]{3,6})',
    # An absolute path Asterisk reads or writes (spool, sounds): no '..'
    # (checked below), no spaces, no separators.
    'path': r'(/[A-Za-z0-9_.+-]+)+',
    # A sound file (absolute, or relative to Asterisk's sounds), no suffix.
    'sound': r'/?[A-Za-z0-9_+-]+(/[A-Za-z0-9_.+-]+)*',
    'token': r'[A-Za-z0-9_-]{16,128}',
    }
_COMPILED = {kind: re.compile(pattern) for kind, pattern in _PATTERNS.items()}
KINDS = frozenset(_PATTERNS) | {'host', 'integer'}


class UnsafeValue(ValueError):
    "A value that must not reach Asterisk"

    def __init__(self, kind, value):
        super().__init__(f'{value!r} is not a valid {kind} for Asterisk')
        self.kind = kind
        self.value = value


def _is_host(value):
    "An IP address, or a DNS name (RFC 1123 labels)"
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        pass
    if len(value) > 253:
        return False
    labels = value.split('.')
    return all(re.fullmatch(r'[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?',
            label) for label in labels) and not labels[-1].isdigit()


def is_safe(kind, value):
    "Whether value may be given to Asterisk as a value of kind"
    if kind not in KINDS:
        raise KeyError(f'unknown kind of Asterisk value: {kind}')
    if kind == 'integer':
        return isinstance(value, int) and not isinstance(value, bool) or (
            isinstance(value, str) and re.fullmatch(r'-?[0-9]{1,9}', value)
            is not None)
    if not isinstance(value, str):
        return False
    if kind == 'host':
        return _is_host(value)
    if _COMPILED[kind].fullmatch(value) is None:
        return False
    if kind in {'path', 'sound'} and '..' in value.split('/'):
        return False
    return True


def check(kind, value):
    "Return value if it is safe as kind, else raise UnsafeValue"
    if not is_safe(kind, value):
        raise UnsafeValue(kind, value)
    return value


def is_line_safe(value):
    """Whether value can stand in one AMI header or one AGI command: the
    one rule for every value, whatever its kind (no line break, no NUL)"""
    return not any(c in str(value) for c in '\r\n\x00')
