# This file is part of tvcc.  The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Voicemail boxes: each with its own PIN, never a shared constant.

IVR voicemail nodes and queue overflows name a mailbox by its number; the
first time a number is named its box is created with a generated PIN.
Only administrators read the boxes (their PINs open the messages).
"""
import secrets

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.transaction import without_check_access

from tvcc import asterisk_values

from .asterisk import AsteriskValuesMixin
from .configuration import ConfigChangeMixin
from .exceptions import VoicemailValidationError
from .guard import ClientGuardMixin

PIN_LENGTH = 8
_RUNS = '01234567890123456789', '98765432109876543210'


def strong_pin(pin, mailbox=None):
    """The policy of voicemail PINs: 6 to 12 digits (asterisk_values
    'pin'), not a run (123456), not two digits repeated, not the mailbox"""
    pin = pin or ''
    return (asterisk_values.is_safe('pin', pin)
        and len(set(pin)) > 2
        and not any(pin in run for run in _RUNS)
        and not (mailbox and mailbox in pin))


def generate_pin(mailbox=None):
    while True:
        pin = ''.join(secrets.choice('0123456789')
            for _ in range(PIN_LENGTH))
        if strong_pin(pin, mailbox):
            return pin


class VoicemailBox(AsteriskValuesMixin, ClientGuardMixin, ConfigChangeMixin,
        ModelSQL, ModelView):
    __name__ = 'callcenter.voicemail'
    __string__ = "Voicemail Box"

    mailbox = fields.Char(
        "Mailbox", required=True,
        help="The number IVR voicemail nodes and queue overflows name "
        "(1 to 10 digits).")
    name = fields.Char("Name")
    password = fields.Char(
        "PIN",
        help="Opens the box's messages (6 to 12 digits, not a run such as "
        "123456 nor the mailbox number). Left empty, one is generated. "
        "Only administrators read it.")

    _asterisk_values = {'mailbox': 'mailbox', 'name': 'name'}

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('mailbox_unique', Unique(t, t.mailbox),
                'tv_callcenter.msg_voicemail_mailbox_unique'),
            ]
        cls._order = [('mailbox', 'ASC'), ('id', 'ASC')]

    def get_rec_name(self, name):
        return f'{self.mailbox} {self.name or ""}'.strip()

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('password'):
            values['password'] = generate_pin(values.get('mailbox'))
        return values

    @classmethod
    def validate_fields(cls, boxes, field_names):
        super().validate_fields(boxes, field_names)
        if field_names & {'password', 'mailbox'}:
            for box in boxes:
                if not strong_pin(box.password, box.mailbox):
                    raise VoicemailValidationError(gettext(
                            'tv_callcenter.msg_voicemail_pin_weak',
                            mailbox=box.rec_name))

    @classmethod
    def ensure(cls, mailboxes):
        "Create the boxes of mailboxes that have none (a generated PIN)"
        mailboxes = {m for m in mailboxes
            if m and asterisk_values.is_safe('mailbox', m)}
        if not mailboxes:
            return
        with without_check_access():
            found = {b.mailbox for b in cls.search(
                    [('mailbox', 'in', list(mailboxes))])}
            missing = sorted(mailboxes - found)
            if missing:
                cls.create([{'mailbox': m} for m in missing])


class MailboxOwnerMixin:
    "Records that name mailboxes: their boxes exist once they are saved"
    __slots__ = ()
    _mailbox_fields = ()

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        if mode in {'create', 'write'} and (field_names is None
                or set(cls._mailbox_fields) & set(field_names)):
            Pool().get('callcenter.voicemail').ensure(
                getattr(r, name) for r in records
                for name in cls._mailbox_fields)
