"""Brute force on the SIP port: ban an address after repeated failures.

Asterisk reports every refused SIP request as an AMI security event
(read class "security"). An address that fails LIMIT times within WINDOW
seconds is banned for BAN_FOR seconds: the bridge renders it into a PJSIP
ACL (tvcc/pjsip.conf) and reloads res_pjsip, so its requests are refused
before any authentication. Trunk addresses are never banned. Bans live in
the bridge's memory: a restart lifts them (the next failures ban again).
"""
import ipaddress
import os

LIMIT = int(os.environ.get('TVCC_SIP_BAN_LIMIT', 5))
WINDOW = float(os.environ.get('TVCC_SIP_BAN_WINDOW', 60))
BAN_FOR = float(os.environ.get('TVCC_SIP_BAN_FOR', 3600))
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


class BanList:

    def __init__(self, limit=LIMIT, window=WINDOW, ban_for=BAN_FOR):
        self.limit = limit
        self.window = window
        self.ban_for = ban_for
        self.failures = {}          # address -> [times]
        self.bans = {}              # address -> until

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
            return True
        return False

    def expire(self, now):
        "Lift the bans that are over; return True when one was"
        over = [a for a, until in self.bans.items() if until <= now]
        for address in over:
            del self.bans[address]
        return bool(over)

    def banned(self):
        return sorted(self.bans)
