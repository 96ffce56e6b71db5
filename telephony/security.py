"""Brute force on the SIP port: ban an address after repeated failures.

Asterisk reports every refused SIP request as an AMI security event
(read class "security"). An address that fails LIMIT times within WINDOW
seconds is banned for BAN_FOR seconds: the bridge renders it into a PJSIP
ACL (tvcc/pjsip.conf) and reloads res_pjsip, so its requests are refused
before any authentication. Trunk addresses are never banned.

Bans outlive the bridge: each one (address -> until, seconds since the
epoch) is saved in a file of the bridge's state folder (bans_file(): a path
built from the node's code, never read from the database), mode 0600,
replaced atomically; the next bridge loads it, drops what has expired and
renders the ACL before it serves anything. The failure counts before a ban
are not kept (an address starts again from none).
"""
import contextlib
import ipaddress
import json
import logging
import os
import tempfile
from pathlib import Path

from tvcc import asterisk_values, settings

log = logging.getLogger(__name__)

LIMIT = int(os.environ.get('TVCC_SIP_BAN_LIMIT', 5))
WINDOW = float(os.environ.get('TVCC_SIP_BAN_WINDOW', 60))
BAN_FOR = float(os.environ.get('TVCC_SIP_BAN_FOR', 3600))
# The bridge's state folder (TVCC_BRIDGE_STATE in production: a volume).
STATE = Path(os.environ.get('TVCC_BRIDGE_STATE')
    or settings.VAR / 'state' / 'bridge')
# What an attacker guessing accounts or passwords causes (not ChallengeSent,
# which every legitimate registration goes through first).
FAILURES = frozenset({
    'InvalidAccountID', 'ChallengeResponseFailed', 'InvalidPassword',
    'FailedACL', 'UnexpectedAddress'})


def remote_ip(event):
    "The IP address of a security event's RemoteAddress (IPV4/UDP/ip/port)"
    parts = (event.get('RemoteAddress') or '').split('/')
    if len(parts) < 3:
        return None
    try:
        return str(ipaddress.ip_address(parts[2]))
    except ValueError:
        return None


def bans_file(node_code, folder=None):
    "Where the bans of the node's bridge are kept"
    if not asterisk_values.is_safe('code', node_code):
        raise ValueError(f'node code {node_code!r} cannot name a file')
    return Path(folder or STATE) / f'sip-bans-{node_code}.json'


class BanList:

    def __init__(self, limit=LIMIT, window=WINDOW, ban_for=BAN_FOR,
            path=None):
        self.limit = limit
        self.window = window
        self.ban_for = ban_for
        self.path = Path(path) if path else None
        self.failures = {}          # address -> [times]
        self.bans = {}              # address -> until (time.time())

    # -- the file --

    def load(self, now):
        """Add the bans saved in the file that are not over; return how many
        bans there are. A missing file is no ban; an unreadable or
        malformed one is logged and ignored (entries that are not an IP
        address and a time are left out); a ban never lasts longer from
        now than ban_for, whatever the file says."""
        if self.path is None:
            return len(self.bans)
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return len(self.bans)
        except OSError as error:
            log.error('SIP bans: cannot read %s (%s): starting without them',
                self.path, error.strerror)
            return len(self.bans)
        try:
            with os.fdopen(fd) as file:
                data = json.load(file)
        except (ValueError, UnicodeDecodeError, OSError) as error:
            log.error('SIP bans: %s is not a bans file (%s): ignored',
                self.path, error)
            return len(self.bans)
        saved = data.get('bans') if isinstance(data, dict) else None
        if not isinstance(saved, dict):
            log.error('SIP bans: %s has no "bans": ignored', self.path)
            return len(self.bans)
        dropped = 0
        for address, until in saved.items():
            try:
                address = str(ipaddress.ip_address(address))
            except ValueError:
                dropped += 1
                continue
            if isinstance(until, bool) or not isinstance(
                    until, (int, float)) or until != until:
                dropped += 1
                continue
            if until <= now:
                dropped += 1
                continue
            self.bans[address] = max(self.bans.get(address, 0),
                min(float(until), now + self.ban_for))
        if dropped:
            self.save()
        return len(self.bans)

    def save(self):
        """Write the bans to the file (0600, atomically: a crash leaves the
        old file or the new one); return False when it cannot be written
        (the bans stay in force in memory)"""
        if self.path is None:
            return False
        folder = self.path.parent
        tmp = None
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder,
                prefix=f'.{self.path.name}.')   # mode 0600
            with os.fdopen(fd, 'w') as file:
                json.dump({'version': 1, 'bans': dict(sorted(
                                self.bans.items()))}, file, indent=1)
                file.write('\n')
                file.flush()
                os.fsync(file.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
            tmp = None
        except OSError as error:
            log.error('SIP bans: cannot save %s (%s): a restart would lift '
                'them', self.path, error.strerror or error)
            return False
        finally:
            if tmp:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        return True

    # -- counting --

    def failure(self, address, now, spared=()):
        "Count a failure; return True when it bans the address"
        if address in spared or address in self.bans:
            return False
        times = [t for t in self.failures.get(address, [])
            if t > now - self.window] + [now]
        self.failures[address] = times
        if len(times) >= self.limit:
            self.bans[address] = now + self.ban_for
            del self.failures[address]
            self.save()
            return True
        return False

    def expire(self, now):
        "Lift the bans that are over; return True when one was"
        over = [a for a, until in self.bans.items() if until <= now]
        for address in over:
            del self.bans[address]
        # Failures too old to count any more are forgotten.
        for address, times in list(self.failures.items()):
            if not any(t > now - self.window for t in times):
                del self.failures[address]
        if over:
            self.save()
        return bool(over)

    def banned(self):
        return sorted(self.bans)
